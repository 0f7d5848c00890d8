"""Builders shared by the file-reader tests: small DecMessage documents and in-memory workbooks."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from chalicelib.domain.declaration import DeclarationContent, parse_content
from chalicelib.formats.excel_workbook import SHEET_GOODS, SHEET_HEAD, TEMPLATE
from chalicelib.formats.records import ImportRecord

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEC_NS = "http://www.chinaport.gov.cn/dec"
ENT_CODE, ENT_USCC, ENT_NAME = "1108919038", "91110000600037341L", "中国大恒(集团)有限公司"
UTF8_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'

# A complete, valid import declaration as DecHead / DecList tags.
HEAD_TAGS: dict[str, str | None] = {
    "IEFlag": "I",
    "EntryType": "0",
    "CustomMaster": "0101",
    "IEPort": "0101",
    "IEDate": "20240320",
    "AgentCode": ENT_CODE,
    "AgentCodeScc": ENT_USCC,
    "AgentName": ENT_NAME,
    "TradeCode": ENT_CODE,
    "TradeCoScc": ENT_USCC,
    "TradeName": ENT_NAME,
    "BillNo": "99912345670",
    "TrafMode": "5",
    "TrafName": "CA986",
    "TradeMode": "0110",
    "CutMode": "101",
    "TransMode": "1",
    "TradeCountry": "USA",
    "PackNo": "10",
    "WrapType": "22",
    "GrossWet": "1250.50000",
    "NetWt": "1180.00000",
}
ITEM_TAGS: dict[str, str | None] = {
    "GNo": "1",
    "CodeTS": "8471300000",
    "GName": "便携式自动数据处理设备",
    "GModel": "笔记本电脑|14英寸",
    "GQty": "100.00000",
    "GUnit": "001",
    "FirstQty": "100.00000",
    "FirstUnit": "001",
    "DeclPrice": "820.0000",
    "DeclTotal": "82000.00",
    "TradeCurr": "USD",
    "OriginCountry": "USA",
    "DestinationCountry": "CHN",
    "DutyMode": "1",
}


def tags(fields: dict[str, str | None], prefix: str = "") -> str:
    """<Tag>value</Tag> for each field; None writes the empty form <Tag/>."""
    return "".join(
        f"<{prefix}{name}/>" if value is None else f"<{prefix}{name}>{value}</{prefix}{name}>"
        for name, value in fields.items()
    )


def dec_message(
    head: dict[str, str | None] | None = None,
    items: list[dict[str, str | None]] | None = None,
    extra: str = "",
    xmlns: str | None = DEC_NS,
) -> str:
    """One DecMessage element: HEAD_TAGS updated with `head`, one ITEM_TAGS goods item by default."""
    head_tags = HEAD_TAGS | (head or {})
    goods = items if items is not None else [ITEM_TAGS]
    lists = "".join(f"<DecList>{tags(item)}</DecList>" for item in goods)
    ns = f' xmlns="{xmlns}"' if xmlns else ""
    return f"<DecMessage{ns}><DecHead>{tags(head_tags)}</DecHead><DecLists>{lists}</DecLists>{extra}</DecMessage>"


def xml_file(body: str, declaration: str = UTF8_DECLARATION, encoding: str = "utf-8") -> bytes:
    return (declaration + "\n" + body).encode(encoding)


def valid_content(record: ImportRecord) -> DeclarationContent:
    """The validated content of a record that must have no read nor validation errors."""
    assert record.read_errors == [], record.read_errors
    content, problems = parse_content(record.raw)
    assert problems == [], problems
    assert content is not None
    return content


def is_importer_side(content: DeclarationContent) -> bool:
    """The importing enterprise (the agent of shared/examples/declaration.json) is agent or consignee."""
    return any(party.code == ENT_CODE or party.uscc == ENT_USCC for party in (content.agent, content.consignee))


# ---- workbooks ----------------------------------------------------------------------------

HEAD_ROW: dict[str, Any] = {
    "ref": "1",
    "ie_flag": "I",
    "declare_customs": "0101",
    "ie_port": "0101",
    "ie_date": "2024-03-20",
    "agent.code": ENT_CODE,
    "agent.uscc": ENT_USCC,
    "agent.name": ENT_NAME,
    "consignee.code": ENT_CODE,
    "consignee.uscc": ENT_USCC,
    "consignee.name": ENT_NAME,
    "transport_mode": "5",
    "trade_mode": "0110",
    "trans_mode": "1",
    "trade_country": "USA",
    "pack_no": 10,
    "wrap_type": "22",
    "gross_wt": 1250.5,
    "net_wt": 1180,
}
GOODS_ROW: dict[str, Any] = {
    "ref": "1",
    "g_no": 1,
    "code_ts": "8471300000",
    "g_name": "便携式自动数据处理设备",
    "qty": 100,
    "unit": "001",
    "decl_price": 820,
    "decl_total": 82000,
    "currency": "USD",
    "origin_country": "USA",
    "destination_country": "CHN",
}


def sheet_rows(sheet: str, rows: list[dict[str, Any]], paths: list[str] | None = None) -> list[list[Any]]:
    """Label row, path row and data rows of a template sheet; `paths` defaults to every template column."""
    paths = paths or [column.path for column in TEMPLATE[sheet]]
    labels = {column.path: column.label for column in TEMPLATE[sheet]}
    return [
        [labels.get(path, path) for path in paths],
        list(paths),
        *[[row.get(path) for path in paths] for row in rows],
    ]


def workbook_bytes(sheets: dict[str, list[list[Any]]]) -> bytes:
    """An .xlsx holding `sheets` (name → rows of cell values), in memory."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_workbook(heads: list[dict[str, Any]], goods: list[dict[str, Any]], **more: list[list[Any]]) -> bytes:
    """A template workbook with the given head and goods rows, plus any raw extra sheets."""
    return workbook_bytes(
        {SHEET_HEAD: sheet_rows(SHEET_HEAD, heads), SHEET_GOODS: sheet_rows(SHEET_GOODS, goods), **more}
    )
