"""The field table (domain/declaration_fields.py) against the model and every format: a field added
in one place only fails here."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain import codes
from chalicelib.domain.declaration import FIELD_LABELS, DeclarationContent, is_required, leaf_paths, parse_content
from chalicelib.domain.declaration_fields import FIELDS, GROUPS, KINDS, LIST_BLOCKS, by_path
from chalicelib.formats import dec_message, dec_message_writer
from chalicelib.formats.dec_message import read_dec_messages
from chalicelib.formats.dec_message_writer import build_dec_message
from chalicelib.formats.excel_workbook import SHEETS, TEMPLATE, read_workbook
from scripts.generate_field_docs import main as generate_field_docs
from scripts.make_example_workbook import build as build_workbook
from tests.factories import less_fields, make_full_declaration_body, set_first, without_fields

ROOT = Path(__file__).resolve().parents[2]
CODE_TABLES = {path.stem for path in (ROOT / "chalicelib" / "domain" / "data" / "codes").glob("*.json")}


def _filled(raw: Any, path: str) -> bool:
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        items = raw.get(head[:-2]) or []
        return bool(items) and all(_filled(item, rest) for item in items)
    if head not in raw or raw[head] is None:
        return False
    return _filled(raw[head], rest) if rest else True


def _content(raw: dict[str, Any]) -> DeclarationContent:
    content, problems = parse_content(raw)
    assert problems == [], problems
    assert content is not None
    return content


# ---- the table and the model -------------------------------------------------------------


def test_the_table_has_one_line_per_leaf_field_of_the_model():
    paths = [spec.path for spec in FIELDS]
    assert len(paths) == len(set(paths))
    assert sorted(paths) == sorted(leaf_paths())


def test_every_line_names_a_known_kind_group_and_code_table():
    groups = {group.key for group in GROUPS}
    for spec in FIELDS:
        assert spec.kind in KINDS, spec.path
        assert spec.group in groups, spec.path
        assert spec.list in LIST_BLOCKS, spec.path
        assert spec.code_table is None or spec.code_table in CODE_TABLES, spec.path
        assert spec.code_table is None or spec.code_table in codes.TABLE_LABELS, spec.path
        assert (spec.kind == "table") <= (spec.code_table is not None), spec.path
        assert spec.label_zh and spec.label_en, spec.path


def test_every_field_has_a_label_and_no_two_fields_share_a_workbook_path():
    leaves = [(spec.list, spec.leaf) for spec in FIELDS]
    assert len(leaves) == len(set(leaves))
    assert {spec.leaf for spec in FIELDS} <= set(FIELD_LABELS)
    assert len({spec.leaf for spec in FIELDS}) == len(FIELDS)  # one label per workbook path


UNKNOWN_CODE = {"customs_office": "9900"}  # of the right form: four digits, no such directly governed customs


def test_a_code_field_checks_its_code_table():
    # Given each field the table gives a code table, When a code outside it is sent, Then it is refused
    for spec in (s for s in FIELDS if s.code_table):
        raw = make_full_declaration_body()
        set_first(raw, spec.path.replace("[].", "[].", 1), UNKNOWN_CODE.get(spec.code_table or "", "ZZ9"))
        _, problems = parse_content(raw)
        assert any("代码表" in p.message_zh for p in problems), spec.path


# ---- every format covers every field -----------------------------------------------------


def test_the_xml_reader_maps_every_message_field_by_table_or_by_hand():
    mappings = [("", dec_message._HEAD), ("", dec_message._FREE_TEXT), ("goods", dec_message._GOODS)]
    mappings += [
        ("goods[].licences", dec_message._GOODS_LICENCE),
        ("goods[].licences[].vins", dec_message._LICENCE_VIN),
    ]
    mappings += [(name, mapping) for name, _, mapping in dec_message._LISTS]
    mapped = {(name, path) for name, mapping in mappings for _, path, _ in mapping}
    by_hand = {s.path for s in FIELDS if s.path in dec_message.READ_IN_CODE or s.tag in dec_message.READ_AS_CHARACTERS}
    assert by_hand == {spec.path for spec in FIELDS if spec.in_code}
    for spec in FIELDS:
        if spec.tag is not None:
            assert (spec.list, spec.leaf) in mapped or spec.path in by_hand, spec.path


def test_the_writer_knows_every_tag_and_the_table_follows_the_message_order():
    w = dec_message_writer
    by_hand = {s.path for s in FIELDS if s.path in w.WRITTEN_IN_CODE or s.tag in w.WRITTEN_AS_CHARACTERS}
    assert by_hand == {spec.path for spec in FIELDS if spec.in_code}
    for block, order in w.ORDERS.items():
        tags = [spec.tag for spec in FIELDS if spec.message_block == block]
        assert set(tags) <= set(order), block
        assert tags == sorted(tags, key=order.index), block


def test_the_workbook_has_a_column_for_every_workbook_field():
    for spec in FIELDS:
        columns = [column.path for column in TEMPLATE[SHEETS[spec.list]]] if spec.list in SHEETS else []
        assert (spec.leaf in columns) == spec.workbook, spec.path


# ---- a fully filled declaration through every format ---------------------------------------


def test_the_full_declaration_fills_every_field():
    raw = make_full_declaration_body()
    assert [path for path in leaf_paths() if not _filled(raw, path)] == []
    _content(raw)


def test_the_full_declaration_round_trips_json_to_xml_to_json():
    # Given every field filled
    raw = make_full_declaration_body()
    # When it is written as a DecMessage and read back
    xml = build_dec_message(_content(raw))
    [record] = read_dec_messages(xml)
    assert record.read_errors == []
    # Then every field the message carries comes back unchanged
    absent = {spec.path for spec in FIELDS if spec.tag is None}
    assert _content(record.raw).as_json() == _content(without_fields(raw, absent)).as_json()


def test_the_full_declaration_s_dec_message_read_and_written_again_is_the_same_message():
    # Given the DecMessage of a declaration carrying every field
    signed = datetime(2024, 3, 20, 9, 30)
    first = build_dec_message(_content(make_full_declaration_body()), sign_time=signed)
    # When a broker's software sends that message in and it goes out again
    [record] = read_dec_messages(first)
    # Then customs gets it unchanged, byte for byte
    assert build_dec_message(_content(record.raw), sign_time=signed) == first


def test_the_full_declaration_less_its_4x_fields_round_trips_as_31_and_whole_is_refused_for_31():
    # Given every field filled
    raw = make_full_declaration_body()
    newer = {spec.path for spec in FIELDS if spec.since == "4.x"}
    # When it is written as 3.1, Then it is refused naming every 4.x field it fills
    with pytest.raises(dec_message_writer.MessageVersionError) as caught:
        build_dec_message(_content(raw), version="3.1")
    assert {p.replace("[0]", "[]") for p in caught.value.paths} == newer
    # and without them it round-trips unchanged
    older = less_fields(raw, newer | {spec.path for spec in FIELDS if spec.tag is None})
    [record] = read_dec_messages(build_dec_message(_content(older), version="3.1"))
    assert record.read_errors == []
    assert _content(record.raw).as_json() == _content(older).as_json()


def test_the_full_declaration_round_trips_through_our_workbook():
    # Given every field filled, When it is put in our workbook and read back
    raw = make_full_declaration_body()
    saved = BytesIO()
    build_workbook([_content(raw).as_json()]).save(saved)
    [record] = read_workbook(saved.getvalue())
    assert record.read_errors == []
    # Then every workbook field comes back unchanged
    absent = {spec.path for spec in FIELDS if not spec.workbook}
    assert _content(record.raw).as_json() == _content(less_fields(raw, absent)).as_json()


# ---- the derived reference ---------------------------------------------------------------


def test_the_field_reference_is_generated_from_the_table():
    assert generate_field_docs(["--check"]) == 0, "run scripts/generate_field_docs.py"


def test_required_follows_the_model():
    assert is_required("goods[].code_ts") and is_required("ie_flag")
    assert not is_required("freight.mark") and not is_required("agent.code")
    assert not is_required("containers[].container_id")  # containers may be absent


@pytest.mark.parametrize("path", ["seq_no", "voyage_no", "trade_country", "depart_country"])
def test_fields_handled_by_hand_say_why(path):
    assert by_path()[path].in_code
