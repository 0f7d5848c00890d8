"""Large text attributes are stored compressed, as Binary (adapters/packing.py,
dynamo_models.PackedTextAttribute), and what was stored before as a String, packed or plain, reads
as it is."""

from __future__ import annotations

import base64
import json
import zlib

from chalicelib.adapters.dynamo_models import LogModel
from chalicelib.adapters.packing import PREFIX, compress, text_of, unpack

XML = "<DecMessage>" + "".join(f"<DecList><GNo>{i}</GNo><GName>电子元件</GName></DecList>" for i in range(40))


def test_a_customs_message_is_stored_several_times_smaller_and_reads_back_exactly():
    text = json.dumps({"details": {"xml": XML}}, ensure_ascii=False)

    packed = compress(text)

    assert len(packed) * 4 < len(text.encode())
    assert text_of({"B": packed}) == text


def test_a_binary_value_from_a_lambda_stream_event_is_base64_and_reads_back():
    text = json.dumps([{"event_id": "e1", "seq_no": "I2024000000000001"}])
    assert text_of({"B": base64.b64encode(compress(text)).decode("ascii")}) == text


def test_strings_written_before_values_were_binary_read_as_they_are():
    small = json.dumps({"gate": "claim"})
    old_packed = PREFIX + base64.b85encode(zlib.compress(XML.encode("utf-8"), 9)).decode("ascii")
    assert unpack(small) == small and text_of({"S": small}) == small  # plain: too small to pack then
    assert unpack(old_packed) == XML and text_of({"S": old_packed}) == XML
    assert unpack("[]") == "[]"


def test_a_log_item_holds_plain_text_and_serializes_it_as_binary():
    item = LogModel(seq_no="I2024000000000001", sk="2024-03-21T03:00:00.000Z#1", body=XML, events="[]")
    stored = item.serialize()
    assert set(stored["body"]) == {"B"} and set(stored["events"]) == {"B"}

    back = LogModel.from_raw_data(stored)
    assert (back.body, back.events) == (XML, "[]")


def test_a_log_item_written_before_reads_its_string_attributes():
    old_packed = PREFIX + base64.b85encode(zlib.compress(XML.encode("utf-8"), 9)).decode("ascii")
    raw = {"seq_no": {"S": "I2024000000000001"}, "sk": {"S": "2024#1"}}
    raw |= {"body": {"S": old_packed}, "events": {"S": "[]"}}

    back = LogModel.from_raw_data(raw)

    assert (back.body, back.events) == (XML, "[]")


def test_a_log_item_from_a_lambda_event_s_json_reads_its_base64_binary():
    raw = {"seq_no": {"S": "I2024000000000001"}, "sk": {"S": "2024#1"}}
    raw |= {"body": {"B": base64.b64encode(compress(XML)).decode("ascii")}}

    assert LogModel.from_raw_data(raw).body == XML
