"""Encodings by content (#13 item 6): what the bytes are decides, the XML declaration only hints.

Byte fixtures in tests/fixtures (see its README): files re-saved as UTF-8 that kept their GB2312
declaration, a genuine GB2312 file, and bytes that are valid under no reading.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.domain.errors import DomainError
from chalicelib.formats._common import decode_xml
from chalicelib.formats.dec_message import read_dec_messages
from chalicelib.formats.dec_result import ReceiptUnreadable, read_receipts

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLES = ROOT / "examples"


def _refused(read, data: bytes) -> DomainError:
    with pytest.raises(DomainError) as caught:
        read(data)
    return caught.value


def test_declaration_declared_gb2312_but_saved_as_utf8_reads_like_the_genuine_gb2312_file():
    # Given the GB2312 example, and the same file re-saved as UTF-8 with its declaration kept
    genuine = read_dec_messages((EXAMPLES / "dec_message_gb2312.xml").read_bytes())
    resaved = read_dec_messages((FIXTURES / "dec_message_gb2312_declared_saved_as_utf8.xml").read_bytes())

    # Then both read to the same declaration, Chinese text intact
    assert resaved[0].raw == genuine[0].raw
    assert resaved[0].raw["goods"][0]["g_name"] == "便携式自动数据处理设备"


def test_receipt_declared_gb2312_saved_as_utf8_is_not_garbled_though_its_bytes_are_valid_gb18030():
    # Given a receipt whose UTF-8 bytes also decode as GB18030 (to other characters)
    data = (FIXTURES / "receipt_dec_result_gb2312_declared_saved_as_utf8.xml").read_bytes()
    assert b'encoding="GB2312"' in data
    assert "娴峰叧鍏ュ簱鎴愬姛" in data.decode("gb18030")  # what the declared encoding alone gives

    # When read
    [receipt] = read_receipts(data)

    # Then its text is the UTF-8 one
    assert receipt.note == "海关入库成功"


def test_genuine_gb2312_receipt_still_reads_as_gb2312():
    [receipt] = read_receipts((FIXTURES / "receipt_dec_data_gb2312.xml").read_bytes())
    assert receipt.note == "海关入库成功"
    assert "中国大恒(集团)有限公司" in receipt.raw


def test_gbk_bytes_that_happen_to_be_valid_utf8_control_codes_read_as_gbk():
    # Given GBK 聞 (C2 84) after ASCII: as UTF-8 that is the C1 control U+0084, which no file holds
    data = '<?xml version="1.0" encoding="GBK"?><DEC_RESULT><NOTE>聞</NOTE></DEC_RESULT>'.encode("gbk")
    assert data.decode("utf-8").count("\x84") == 1
    # Then the GBK reading wins
    assert "聞" in decode_xml(data)


@pytest.mark.parametrize("declaration", ['<?xml version="1.0" encoding="GB2312"?>', ""])
def test_ascii_only_files_read_the_same_whatever_they_declare(declaration):
    assert decode_xml(f"{declaration}<A>1</A>".encode("ascii")).endswith("<A>1</A>")


def test_declaration_valid_under_neither_encoding_is_refused_naming_the_problem():
    # Given a GB2312 declaration with a stray 0xFF inside a Chinese character
    data = (FIXTURES / "dec_message_gb2312_corrupt.xml").read_bytes()
    position = data.index(b"\xff")

    # When read, Then it is refused, saying which encodings failed and where
    error = _refused(read_dec_messages, data)
    assert error.code == "unreadable_file"
    assert "GB2312" in error.message_en and "GB18030" in error.message_en and "UTF-8" in error.message_en
    assert error.message_en.endswith(f"(undecodable from byte {position})")  # the lead byte before 0xFF
    assert "既不是有效的GB18030" in error.message_zh


def test_receipt_valid_under_neither_encoding_is_refused_not_garbled():
    data = (
        '<?xml version="1.0" encoding="GB2312"?><DEC_RESULT><NOTE>'.encode("ascii")
        + "海关".encode("gb2312")[:1]
        + b"\xff"
        + b"</NOTE></DEC_RESULT>"
    )
    error = _refused(read_receipts, data)
    assert isinstance(error, ReceiptUnreadable)
    assert "neither valid GB18030 (GB2312/GBK) nor valid UTF-8" in error.message_en
    assert error.message_zh.startswith("回执无法读取：声明为GB2312")


def test_undeclared_bytes_valid_under_neither_encoding_are_refused():
    error = _refused(decode_xml, b"<A>\xff\xfe\xff</A>")
    assert "neither valid GB18030 (GB2312/GBK) nor valid UTF-8 text (undecodable from byte 4)" in error.message_en


def test_bytes_not_valid_in_another_declared_encoding_name_it_and_the_position():
    error = _refused(decode_xml, b'<?xml version="1.0" encoding="ascii"?><A>\xe4</A>')
    assert error.message_en.endswith("its bytes are not valid ascii (undecodable from byte 42)")


def test_unknown_declared_encoding_is_refused_by_name():
    error = _refused(decode_xml, b'<?xml version="1.0" encoding="x-klingon"?><A/>')
    assert "x-klingon is not supported" in error.message_en
