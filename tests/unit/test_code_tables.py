"""Full code tables (#13 item 7): complete ISO country and currency tables with customs' older numeric
codes, every customs table saying its source and date, and every code the examples use known."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pycountry
import pytest

from chalicelib.domain import codes
from chalicelib.domain.declaration import parse_content
from chalicelib.formats.dec_message import read_dec_messages
from chalicelib.formats.excel_workbook import read_workbook
from scripts.generate_code_tables import NOT_TRADE_CURRENCIES
from scripts.generate_code_tables import main as generate

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path("/work/shared/examples")
TABLES = sorted(path.stem for path in (ROOT / "chalicelib" / "domain" / "data" / "codes").glob("*.json"))


def _example_declarations() -> list[tuple[str, dict]]:
    """(where, raw declaration) for every example the project and the shared folder ship."""
    found: list[tuple[str, dict]] = []
    for path in [ROOT / "examples" / "declarations.json", SHARED / "declaration.json"]:
        if not path.exists():
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        items = data["declarations"] if "declarations" in data else [data]
        found += [(path.name, {k: v for k, v in item.items() if k not in ("_comment", "seq_no")}) for item in items]
    for path in sorted((ROOT / "examples").glob("*.xml")):
        found += [(path.name, record.raw) for record in read_dec_messages(path.read_bytes())]
    found += [
        ("declarations.xlsx", record.raw)
        for record in read_workbook((ROOT / "examples" / "declarations.xlsx").read_bytes())
    ]
    return found


EXAMPLES = _example_declarations()


@pytest.mark.parametrize(("where", "raw"), EXAMPLES, ids=[f"{w}#{n}" for n, (w, _) in enumerate(EXAMPLES)])
def test_every_code_in_the_examples_is_in_its_table(where, raw):
    _, problems = parse_content(raw)
    assert [p for p in problems if "代码表" in p.message_zh] == [], where


def test_the_examples_cover_every_kind_of_file():
    assert {where for where, _ in EXAMPLES} >= {
        "declarations.json",
        "dec_message.xml",
        "dec_message_gb2312.xml",
        "import_message_two.xml",
        "declarations.xlsx",
    }


# ---- what shared/examples/declaration-fields.md names --------------------------------------

FIELDS_MD = (SHARED / "declaration-fields.md").read_text(encoding="utf-8") if SHARED.exists() else ""
needs_shared = pytest.mark.skipif(not FIELDS_MD, reason="shared/examples is not on this machine")


@needs_shared
def test_the_documented_transaction_modes_and_trade_mode_are_known():
    trans = re.search(r"\| trans_mode \| TransMode \| (.+?) \|", FIELDS_MD).group(1)
    for code in re.findall(r"(\d) [A-Z&]+", trans):
        assert codes.normalize("trans_mode", code) == code
    assert codes.label_zh("trade_mode", "0110") == "一般贸易"


@needs_shared
def test_the_documented_document_codes_are_known():
    documents = re.search(r"\| documents\[\] \|.+", FIELDS_MD).group(0)
    found = re.findall(r"\b\d{8}\b", documents)
    assert {"10000001", "00000001", "00000004"} <= set(found)
    assert [code for code in found if codes.normalize("edoc_code", code) is None] == []


@needs_shared
def test_the_documented_older_numeric_codes_map_to_the_documented_letters():
    # "currency 502 = USD, 142 = CNY, 110 = HKD; country 142 = China, 110 = Hong Kong, 121 = Macau, 502 = USA"
    currency, country = re.search(r"\(currency (.+?); country (.+?)\)", FIELDS_MD, re.DOTALL).groups()
    for numeric, letters in re.findall(r"(\d{3}) = ([A-Z]{3})", currency):
        assert codes.normalize("currency", numeric) == letters
    names = {"China": "CHN", "Hong Kong": "HKG", "Macau": "MAC", "USA": "USA"}
    pairs = re.findall(r"(\d{3}) = ([A-Za-z ]+?)(?:,|$)", " ".join(country.split()))
    assert len(pairs) == 4
    for numeric, name in pairs:
        assert codes.normalize("country", numeric) == names[name.strip()]


# ---- complete and sourced ------------------------------------------------------------------


def test_country_table_holds_every_iso_3166_country_and_customs_own_codes():
    table = codes.table("country")
    assert {country.alpha_3 for country in pycountry.countries} <= set(table)
    assert {"CAI", "CEU", "ZZZ"} <= set(table)  # not ISO, but in customs' table
    assert codes.label_zh("country", "HKG") == "中国香港"


def test_currency_table_holds_every_iso_4217_trade_currency():
    table = codes.table("currency")
    assert {c.alpha_3 for c in pycountry.currencies} - NOT_TRADE_CURRENCIES == set(table)


@pytest.mark.parametrize("table", ["country", "currency"])
def test_an_older_numeric_code_names_one_letter_code_only(table):
    numerics = [row["numeric"] for row in codes.table(table).values() if "numeric" in row]
    assert len(numerics) == len(set(numerics))


def test_a_currencys_numeric_code_is_its_countrys():
    # the tables' convention (502 USD/USA, 142 CNY/CHN); EUR's 300 is Europe's, not a country's
    country_of = {
        "AED": "ARE",
        "CHF": "CHE",
        "CZK": "CZE",
        "DKK": "DNK",
        "GBP": "GBR",
        "HUF": "HUN",
        "NOK": "NOR",
        "PLN": "POL",
        "SAR": "SAU",
        "SEK": "SWE",
        "TRY": "TUR",
        "USD": "USA",
        "CNY": "CHN",
    }
    country = codes.table("country")
    for currency, alpha3 in country_of.items():
        assert codes.table("currency")[currency]["numeric"] == country[alpha3]["numeric"], currency


@pytest.mark.parametrize("table", TABLES)
def test_every_table_says_its_source_and_date(table):
    data = json.loads((ROOT / "chalicelib" / "domain" / "data" / "codes" / f"{table}.json").read_text("utf-8"))
    assert data["_source"].strip() and re.fullmatch(r"\d{4}-\d{2}-\d{2}", data["_date"])
    assert table in codes.TABLE_LABELS


def test_the_generated_tables_are_up_to_date():
    assert generate(["--check"]) == 0, "run scripts/generate_code_tables.py"


# ---- the tables of the whole declaration's fields ---------------------------------------------


@pytest.mark.parametrize(("code", "known"), [("2201", True), ("2299", True), ("5316", True), ("9900", False)])
def test_a_customs_office_is_known_when_listed_or_under_a_listed_directly_governed_customs(code, known):
    # 2299 and 5316 are not listed, but 22 (上海) and 53 (深圳) are directly governed customs; 99 is none
    assert (codes.normalize("customs_office", code) == code) is known


def test_licence_document_codes_are_case_sensitive():
    assert codes.normalize("licence_document", "a") == "a" and codes.label_zh("licence_document", "a") == "保税核注清单"
    assert codes.normalize("licence_document", "A") == "A" and codes.label_zh("licence_document", "A") == "检验检疫"
