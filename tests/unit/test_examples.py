"""The shipped example files carry different declarations: a demo that imports all three can tell
their messages apart (the demo outbox counts an SMS per bill of lading)."""

from __future__ import annotations

import json
from pathlib import Path

from chalicelib.formats.dec_message import read_dec_messages
from chalicelib.formats.excel_workbook import read_workbook
from scripts.make_example_workbook import build, reproducible_bytes

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _bills_and_goods() -> dict[str, list[tuple[str, str]]]:
    json_example = json.loads((EXAMPLES / "declarations.json").read_text(encoding="utf-8"))["declarations"]
    workbook = [r.raw for r in read_workbook((EXAMPLES / "declarations.xlsx").read_bytes())]
    xml = [r.raw for r in read_dec_messages((EXAMPLES / "import_message_two.xml").read_bytes())]
    return {
        name: [(raw["bill_no"], raw["goods"][0]["g_name"]) for raw in raws]
        for name, raws in (("declarations.json", json_example), ("declarations.xlsx", workbook), ("xml", xml))
    }


def test_the_three_example_files_carry_different_bills_and_goods():
    found = _bills_and_goods()
    bills = [bill for pairs in found.values() for bill, _ in pairs]
    goods = [name for pairs in found.values() for _, name in pairs]
    assert len(bills) == len(set(bills)) == 8, found
    assert len(goods) == len(set(goods)), found


def test_the_example_workbook_is_generated_from_its_json():
    source = json.loads((EXAMPLES / "workbook.json").read_text(encoding="utf-8"))["declarations"]
    assert reproducible_bytes(build(source)) == (EXAMPLES / "declarations.xlsx").read_bytes(), (
        "run scripts/make_example_workbook.py"
    )
