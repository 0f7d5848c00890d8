"""Generate the country and currency code tables (chalicelib/domain/data/codes/{country,currency}.json).

    .venv/bin/python scripts/generate_code_tables.py          # rewrite both files
    .venv/bin/python scripts/generate_code_tables.py --check  # exit 1 when they differ from a fresh run

ISO 3166-1 and ISO 4217 come complete from pycountry (pinned in requirements-dev.txt: a build-time
tool, never a runtime dependency), with its zh_CN names. On top, what only customs has, kept here:

- the Chinese name customs uses where it differs from pycountry's (中国香港, 韩国, 刚果（金）...):
  the project's earlier tables first, then the customs parameter table 国别(地区)代码 as published
  in github.com/ryanrong95/HXT (DeclarationBase.cs, BaseCountry, commit eca78ea, 2024-12-19);
- the customs codes that are not ISO 3166 (CAI 加那利群岛, CEU 休达, ZZZ 国(地)别不详...), same source;
- customs' older numeric codes (142 = CHN/CNY, 502 = USA/USD...), accepted on import and stored as
  the letter code. Only the pairs the project's earlier tables carried: no public list of the old
  numeric table was found to extend them, and a wrong pair would silently turn one country into
  another (an unknown code is refused, which is better). A currency's numeric code is its issuing
  country's (the tables' own convention), which corrected HUF (was 315 = Austria, now 321 = Hungary)
  and SAR (was 144, now 131 = Saudi Arabia).
"""

from __future__ import annotations

import argparse
import gettext
import json
import sys
from pathlib import Path

import pycountry

OUT = Path(__file__).resolve().parent.parent / "chalicelib" / "domain" / "data" / "codes"
SOURCE_DATE = "2026-11-30"  # when these tables were last generated and checked
# ISO 4217's codes that name no money a declaration can be priced in: XTS is reserved for testing,
# XXX means "no currency" (tests use it as the unknown code).
NOT_TRADE_CURRENCIES = {"XTS", "XXX"}

# Customs' Chinese name where it differs from pycountry's zh_CN (existing table first, then the
# customs parameter table as published in ryanrong95/HXT).
COUNTRY_NAMES = {
    "ALA": "阿兰群岛（波罗的海中芬兰所属群岛）",
    "ATF": "法属南部领地",
    "BES": "博内尔岛、圣尤斯特歇斯岛和萨巴岛",
    "BGD": "孟加拉国",
    "BLM": "加勒比海圣巴特岛",
    "BOL": "玻利维亚",
    "BVT": "布维岛",
    "BWA": "博茨瓦纳",
    "CCK": "科科斯（基林）群岛",
    "COD": "刚果（金）",
    "COG": "刚果（布）",
    "CUW": "库腊索岛",
    "DOM": "多米尼加",
    "FSM": "密克罗尼西亚(联邦)",
    "GTM": "危地马拉",
    "HKG": "中国香港",
    "HMD": "赫德岛和麦克唐纳岛",
    "IMN": "马恩岛",
    "IRN": "伊朗",
    "KGZ": "吉尔吉斯斯坦",
    "KHM": "柬埔寨",
    "KOR": "韩国",
    "LAO": "老挝",
    "LCA": "圣卢西亚",
    "MAC": "中国澳门",
    "MAF": "圣马丁(法国)",
    "MDA": "摩尔多瓦",
    "MKD": "马其顿",
    "MLT": "马耳他",
    "MNE": "黑山共和国",
    "MNP": "北马里亚纳自由联邦",
    "MSR": "蒙特塞拉特",
    "PCN": "皮特凯恩",
    "PRK": "朝鲜",
    "PYF": "法属波利尼西亚",
    "SHN": "圣赫勒拿",
    "SJM": "斯瓦尔巴岛和扬马延岛",
    "SMR": "圣马力诺",
    "SRB": "塞尔维亚共和国",
    "SXM": "荷属圣马丁岛",
    "SYR": "叙利亚",
    "TTO": "特立尼达和多巴哥",
    "TWN": "中国台湾",
    "VAT": "梵蒂冈",
    "VEN": "委内瑞拉",
}
CUSTOMS_ONLY_COUNTRIES = {
    "CAI": ("加那利群岛", "Canary Islands"),
    "CEU": ("休达", "Ceuta"),
    "GAM": ("盖比群岛", "Gambier Islands"),
    "MAI": ("马克萨斯群岛", "Marquesas Islands"),
    "MEL": ("梅利利亚", "Melilla"),
    "SOC": ("社会群岛", "Society Islands"),
    "TUA": ("土阿莫土群岛", "Tuamotu Islands"),
    "TUB": ("土布艾群岛", "Tubai Islands"),
    "ZAS": ("亚洲其他国家(地区)", "Asia other"),
    "ZEU": ("欧洲其他国家(地区)", "Europe other"),
    "ZNA": ("北美洲其他国家(地区)", "North America other"),
    "ZOC": ("大洋洲其他国家(地区)", "Oceania other"),
    "ZSA": ("拉丁美洲其他国家(地区)", "South America other"),
    "ZUN": ("联合国及机构和国际组织", "UN and oth.int'l org"),
    "ZZZ": ("国(地)别不详", "Country (region) unknown"),
}
COUNTRY_NUMERIC = {
    "ARE": "138",
    "ARG": "402",
    "AUS": "601",
    "AUT": "315",
    "BEL": "301",
    "BGD": "103",
    "BRA": "410",
    "CAN": "501",
    "CHE": "331",
    "CHL": "412",
    "CHN": "142",
    "CZE": "352",
    "DEU": "304",
    "DNK": "302",
    "EGY": "215",
    "ESP": "312",
    "FIN": "318",
    "FRA": "305",
    "GBR": "303",
    "GRC": "310",
    "HKG": "110",
    "HUN": "321",
    "IDN": "112",
    "IND": "113",
    "IRL": "306",
    "ISR": "115",
    "ITA": "307",
    "JPN": "116",
    "KAZ": "145",
    "KEN": "228",
    "KOR": "133",
    "MAC": "121",
    "MEX": "429",
    "MNG": "124",
    "MYS": "122",
    "NGA": "236",
    "NLD": "309",
    "NOR": "326",
    "NZL": "609",
    "PAK": "127",
    "PER": "434",
    "PHL": "129",
    "POL": "327",
    "PRK": "109",
    "PRT": "311",
    "RUS": "344",
    "SAU": "131",
    "SGP": "132",
    "SWE": "330",
    "THA": "136",
    "TUR": "137",
    "TWN": "143",
    "UKR": "347",
    "USA": "502",
    "VNM": "141",
    "ZAF": "244",
}
CURRENCY_NAMES = {
    "AED": "阿联酋迪拉姆",
    "BRL": "巴西雷亚尔",
    "CAD": "加拿大元",
    "CNY": "人民币",
    "HKD": "港币",
    "HUF": "匈牙利福林",
    "IDR": "印度尼西亚卢比",
    "JPY": "日本元",
    "KRW": "韩国元",
    "KZT": "哈萨克斯坦坚戈",
    "PLN": "波兰兹罗提",
    "THB": "泰国铢",
    "TWD": "新台币",
    "VND": "越南盾",
    "ZAR": "南非兰特",
}
CURRENCY_NUMERIC = {
    "AED": "138",
    "AUD": "601",
    "BRL": "410",
    "CAD": "501",
    "CHF": "331",
    "CNY": "142",
    "CZK": "352",
    "DKK": "302",
    "EUR": "300",
    "GBP": "303",
    "HKD": "110",
    "HUF": "321",
    "IDR": "112",
    "INR": "113",
    "JPY": "116",
    "KRW": "133",
    "KZT": "145",
    "MOP": "121",
    "MXN": "429",
    "MYR": "122",
    "NOK": "326",
    "NZD": "609",
    "PHP": "129",
    "PLN": "327",
    "RUB": "344",
    "SAR": "131",
    "SEK": "330",
    "SGD": "132",
    "THB": "136",
    "TRY": "137",
    "TWD": "143",
    "USD": "502",
    "VND": "141",
    "ZAR": "244",
}


def _zh(domain: str):
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=["zh_CN"]).gettext


def country_table() -> dict:
    zh = _zh("iso3166-1")
    codes: dict[str, dict[str, str]] = {}
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_3):
        row = {"zh": COUNTRY_NAMES.get(country.alpha_3) or zh(country.name), "en": country.name}
        if country.alpha_3 in COUNTRY_NUMERIC:
            row["numeric"] = COUNTRY_NUMERIC[country.alpha_3]
        codes[country.alpha_3] = row
    for code, (name_zh, name_en) in sorted(CUSTOMS_ONLY_COUNTRIES.items()):
        codes[code] = {"zh": name_zh, "en": name_en}
    return {
        "_comment": "国别(地区) Country/region: ISO 3166-1 alpha-3 as stored, plus customs' own codes; "
        "'numeric' is the older customs numeric code accepted on import and converted.",
        "_source": f"Generated by scripts/generate_code_tables.py from pycountry {pycountry_version()} "
        "(ISO 3166-1, zh_CN names) and the customs parameter table 国别(地区)代码 "
        "(github.com/ryanrong95/HXT DeclarationBase.cs, 2024-12-19).",
        "_date": SOURCE_DATE,
        "codes": codes,
    }


def currency_table() -> dict:
    zh = _zh("iso4217")
    codes: dict[str, dict[str, str]] = {}
    for currency in sorted(pycountry.currencies, key=lambda c: c.alpha_3):
        if currency.alpha_3 in NOT_TRADE_CURRENCIES:
            continue
        row = {"zh": CURRENCY_NAMES.get(currency.alpha_3) or zh(currency.name), "en": currency.name}
        if currency.alpha_3 in CURRENCY_NUMERIC:
            row["numeric"] = CURRENCY_NUMERIC[currency.alpha_3]
        codes[currency.alpha_3] = row
    return {
        "_comment": "币制 Currency: ISO 4217 letter code as stored; 'numeric' is the older customs numeric "
        "code accepted on import and converted.",
        "_source": f"Generated by scripts/generate_code_tables.py from pycountry {pycountry_version()} "
        "(ISO 4217, zh_CN names); customs names from the project's earlier table and the "
        "customs 币制代码 table (github.com/ryanrong95/HXT Currency, 2024-12-19).",
        "_date": SOURCE_DATE,
        "codes": codes,
    }


def pycountry_version() -> str:
    from importlib.metadata import version

    return version("pycountry")


def render(table: dict) -> str:
    return json.dumps(table, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the files instead of writing them")
    args = parser.parse_args(argv)
    stale = []
    for name, table in (("country", country_table()), ("currency", currency_table())):
        path = OUT / f"{name}.json"
        text = render(table)
        if args.check:
            if path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"{path.relative_to(OUT.parents[3])}: {len(table['codes'])} codes")
    if stale:
        print(f"out of date, run scripts/generate_code_tables.py: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
