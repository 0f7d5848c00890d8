"""formats/xml.py: the public XML helpers every reader shares (declarations, receipts, InBox files,
gateway answers)."""

from __future__ import annotations

import base64

import pytest

from chalicelib.formats.xml import (
    GB_FAMILY,
    XmlUnreadable,
    child_text,
    decode_xml,
    descendants,
    local_name,
    open_envelopes,
    outermost,
    parse_xml,
)

RECEIPT = '<?xml version="1.0" encoding="GB2312"?><DEC_RESULT><CHANNEL>L</CHANNEL><NOTE>入库成功</NOTE></DEC_RESULT>'


def envelope(data: str) -> bytes:
    return f'<DxpMsg xmlns="http://www.chinaport.gov.cn/dxp"><TransInfo/><Data>{data}</Data></DxpMsg>'.encode()


def test_a_gb2312_document_is_decoded_and_parsed():
    root = parse_xml(RECEIPT.encode("gb18030"))
    assert child_text(root, "NOTE") == "入库成功"
    assert {"gb2312", "gbk", "gb18030"} <= GB_FAMILY


def test_an_envelope_with_base64_over_several_lines_and_no_padding_opens():
    encoded = base64.encodebytes(RECEIPT.encode("gb18030")).decode().rstrip("=\n")
    root = open_envelopes(parse_xml(envelope("\n    " + encoded.replace("\n", "\n    "))))
    assert local_name(root.tag) == "DEC_RESULT" and child_text(root, "CHANNEL") == "L"


def test_an_envelope_holding_the_xml_itself_opens_to_its_data():
    root = open_envelopes(parse_xml(envelope("<DecMessage/><DecMessage/>")))
    assert len(outermost(root, "DecMessage")) == 2


def test_envelopes_nested_too_deep_are_refused():
    data = RECEIPT
    for _ in range(4):
        data = envelope(base64.b64encode(data.encode("utf-8") if isinstance(data, str) else data).decode()).decode()
    with pytest.raises(XmlUnreadable) as caught:
        open_envelopes(parse_xml(data))
    assert "nested too deep" in caught.value.reason_en


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "DTD"),
        (b"<x>", "well-formed"),
        (envelope(""), "Data is empty"),
        (envelope("!!not base64!!"), "not valid base64"),
    ],
)
def test_unusable_documents_name_the_reason_in_both_languages(data, reason):
    with pytest.raises(XmlUnreadable) as caught:
        open_envelopes(parse_xml(data))
    assert reason in caught.value.reason_en and caught.value.reason_zh


def test_child_text_takes_the_first_non_empty_child_of_any_namespace():
    root = parse_xml(b'<a xmlns:n="urn:x"><n:B/><C> </C><C>2</C><B>1</B></a>')
    assert child_text(root, "B") == "1" and child_text(root, "C") == "2" and child_text(root, "D") is None
    assert [local_name(node.tag) for node in descendants(root, "C")] == ["C", "C"]


def test_decode_refuses_bytes_that_are_no_text():
    with pytest.raises(XmlUnreadable):
        decode_xml(b"<A>\xff\xfe\xff</A>")
