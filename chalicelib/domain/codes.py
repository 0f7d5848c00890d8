"""Customs code tables shipped as data files (chalicelib/domain/data/codes/*.json).

Each file says its source and date (`_source`, `_date`). country.json and currency.json are generated
(ISO 3166-1 / ISO 4217 from pycountry plus customs' own codes and names: scripts/generate_code_tables.py);
so are cut_mode, licence_document and customs_office; the others are customs parameter tables kept by
hand. Currency and country accept the older numeric customs codes and store the letter code. A table
may accept codes it does not list under a listed parent (`_accept_under`: customs_office takes any
office of a listed directly governed customs).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

_DIR = Path(__file__).parent / "data" / "codes"

TABLE_LABELS: dict[str, tuple[str, str]] = {
    "transport_mode": ("运输方式", "transport mode"),
    "trade_mode": ("监管方式", "trade mode"),
    "trans_mode": ("成交方式", "transaction mode"),
    "currency": ("币制", "currency"),
    "country": ("国别(地区)", "country/region"),
    "unit": ("计量单位", "unit"),
    "duty_mode": ("征减免税方式", "duty mode"),
    "wrap_type": ("包装种类", "package type"),
    "edoc_code": ("随附单证代码", "attached document code"),
    "cut_mode": ("征免性质", "levy kind"),
    "customs_office": ("关区代码", "customs office"),
    "licence_document": ("监管证件代码", "licence or permit kind"),
}


@cache
def _file(name: str) -> dict:
    return json.loads((_DIR / f"{name}.json").read_text(encoding="utf-8"))


def table(name: str) -> dict[str, dict]:
    return _file(name)["codes"]


def provenance(name: str) -> tuple[str, str]:
    """Where the table comes from and when it was made or checked (`_source`, `_date`)."""
    data = _file(name)
    return data["_source"], data["_date"]


@cache
def _numeric_index(name: str) -> dict[str, str]:
    return {row["numeric"]: code for code, row in table(name).items() if "numeric" in row}


def numeric_codes(name: str) -> set[str]:
    """The older numeric customs codes `normalize` also takes (currency, country)."""
    return set(_numeric_index(name))


def normalize(name: str, value: str) -> str | None:
    """The stored form of `value` in table `name`, or None when it is not a known code."""
    value = value.strip()
    if value in table(name):  # as given first: some tables' letters are case-sensitive (监管证件代码 a ≠ A)
        return value
    value = value.upper()
    if value in table(name):
        return value
    under = _file(name).get("_accept_under")
    if under and value.isascii() and value.isdigit() and value[:under].ljust(len(value), "0") in table(name):
        return value  # a subordinate office of a listed directly governed customs (customs_office)
    return _numeric_index(name).get(value)


def label_zh(name: str, code: str) -> str | None:
    row = table(name).get(code)
    return row["zh"] if row else None
