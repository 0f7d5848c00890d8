"""Read customs' communication receipt to a declaration message (DecImportResponse) as a CustomsResponse.

The answer of a customs gateway or the client's InBox file: in any namespace or none, in any
encoding (formats/xml.py), bare or inside a DxpMsg envelope. ResponseCode 0 means accepted into
customs' queue, with customs' SeqNo; any other code carries the reason in ErrorMessage.
"""

from __future__ import annotations

from chalicelib.domain.customs import CustomsResponse

from .xml import XmlUnreadable, as_utf8, child_text, open_envelopes, outermost, parse_xml


class ResponseUnreadable(XmlUnreadable):
    """No usable DecImportResponse: not XML, no receipt, no ResponseCode, or another ClientSeqNo's."""


def parse_dec_import_response(data: bytes, client_seq_no: str) -> CustomsResponse:
    """The DecImportResponse in `data` for `client_seq_no`; ResponseUnreadable when there is none."""
    try:
        text = as_utf8(data).decode("utf-8")
        root = open_envelopes(parse_xml(text))
    except XmlUnreadable as exc:
        raise ResponseUnreadable(exc.reason_zh, exc.reason_en) from None
    found = outermost(root, "DecImportResponse")
    if not found:
        raise ResponseUnreadable("应答中没有DecImportResponse", "the answer holds no DecImportResponse")
    answer = found[0]
    code = child_text(answer, "ResponseCode")
    if code is None:
        raise ResponseUnreadable("DecImportResponse缺少ResponseCode", "the DecImportResponse has no ResponseCode")
    echoed = child_text(answer, "ClientSeqNo")
    if echoed and echoed != client_seq_no:
        raise ResponseUnreadable(
            f"应答的ClientSeqNo为{echoed}，不是{client_seq_no}",
            f"customs answered for ClientSeqNo {echoed}, not {client_seq_no}",
        )
    return CustomsResponse(
        accepted=code == "0",
        response_code=code,
        message=child_text(answer, "ErrorMessage") or "",
        client_seq_no=client_seq_no,
        seq_no=child_text(answer, "SeqNo"),
        raw_xml=text.strip(),
    )
