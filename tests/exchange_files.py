"""InBox files in the shapes the Single Window client writes them (docs/customs-channel.md), and the
agent's identity: for the exchange channel's tests."""

from __future__ import annotations

import hashlib

from chalicelib.domain.identity import Identity
from tests.factories import ENT_A, ENT_B

CUSTOMS_SEQ_NO = "I20249000000000001"
ENTRY_ID = "010120241000000042"


def agent(ent: dict[str, str] = ENT_A, credential_id: str = "AG0123456789ABCDEF") -> Identity:
    return Identity(ent["code"], ent["uscc"], "agent", f"agent:{credential_id}", f"agent:{credential_id}")


OTHER_AGENT = agent(ENT_B, "AGFEDCBA9876543210")


def stem(seq_no: str, try_no: int = 1) -> str:
    return f"{seq_no[0]}_{seq_no}_t-{try_no}"


def _encoded(xml: str, encoding: str) -> bytes:
    if encoding == "utf-8":
        return xml.encode("utf-8")
    return xml.replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"', 1).encode(encoding)


def successed(seq_no: str, try_no: int = 1, customs_seq_no: str = CUSTOMS_SEQ_NO, encoding="gb18030"):
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<DecImportResponse xmlns="http://www.chinaport.gov.cn/dec">'
        f"<ResponseCode>0</ResponseCode><ErrorMessage>申报成功</ErrorMessage><ClientSeqNo>{seq_no}</ClientSeqNo>"
        f"<SeqNo>{customs_seq_no}</SeqNo><TrnPreId/></DecImportResponse>"
    )
    return f"Successed_{stem(seq_no, try_no)}_20240321110721123", _encoded(xml, encoding)


def failed(seq_no: str, try_no: int = 1, message: str = "表头校验失败：申报地海关不正确", encoding="utf-8"):
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<DecImportResponse>'
        f"<ResponseCode>1</ResponseCode><ErrorMessage>{message}</ErrorMessage><ClientSeqNo>{seq_no}</ClientSeqNo>"
        "</DecImportResponse>"
    )
    return f"Failed_{stem(seq_no, try_no)}_20240321110721123", _encoded(xml, encoding)


def card_failure(seq_no: str, try_no: int = 1, code: str = "C134"):
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<DecImportResponse><ResponseCode>1</ResponseCode>'
        f"<ErrorMessage>读卡器未连接({code})</ErrorMessage><ClientSeqNo>{seq_no}</ClientSeqNo>"
        f"<failCode>{code}</failCode><failInfo>读卡器未连接</failInfo></DecImportResponse>"
    )
    return f"Failed_{stem(seq_no, try_no)}_20240321110721999", xml.encode("utf-8")


def dec_result(seq_no: str | None, channel: str = "L", customs_seq_no: str = CUSTOMS_SEQ_NO, encoding="utf-8"):
    client = f"<CLIENT_SEQ_NO>{seq_no}</CLIENT_SEQ_NO>" if seq_no else ""
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<DEC_RESULT>'
        f"<CUS_CIQ_NO>{customs_seq_no}</CUS_CIQ_NO><ENTRY_ID>{ENTRY_ID}</ENTRY_ID>"
        f"<NOTICE_DATE>2024-03-21T11:0{'LP'.find(channel) + 2}:21</NOTICE_DATE><CHANNEL>{channel}</CHANNEL>"
        f"<NOTE>回执{channel}</NOTE><CUSTOM_MASTER>0101</CUSTOM_MASTER>{client}</DEC_RESULT>"
    )
    return f"Receipt_{customs_seq_no}_{channel}_20240321110821000.xml", _encoded(xml, encoding)


def agreement(seq_no: str | None = None, code: str = "0"):
    client = f"<ClientSeqNo>{seq_no}</ClientSeqNo>" if seq_no else ""
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<ImportAgrResponse><ResponseInfo>'
        f"<ResponseCode>{code}</ResponseCode><ResponseMessage>导入成功</ResponseMessage>"
        f"<CopCusCode>1108919038</CopCusCode></ResponseInfo><ConsignNo>195200016172325</ConsignNo>{client}"
        "</ImportAgrResponse>"
    )
    return "ImportAgrResponse_20240321110721000.xml", xml.encode("utf-8")


def unknown():
    xml = '<?xml version="1.0" encoding="UTF-8"?>\n<SomethingNew><Hello>世界</Hello></SomethingNew>'
    return "SomethingNew_20240321.xml", xml.encode("utf-8")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
