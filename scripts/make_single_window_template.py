"""Write the Single Window's 货物申报导入模板 filled with examples/single_window_template.json.

    .venv/bin/python scripts/make_single_window_template.py        # → examples/single_window_template.xlsx
    .venv/bin/python scripts/make_single_window_template.py --blank t.xlsx   # the empty template

The layout below is a fact of the Single Window's template (where each label stands: the head's
label/value pairs in rows 2–19, the goods header in row 22, the other sheets' headers in row 2);
which field a label means is the field table's (`FieldSpec.sw_label`), read through
formats/single_window_template.py, so the file and the reader cannot drift apart. Every cell is
text, as the Single Window's own file has them: codes keep their zeros, dates are yyyyMMdd, yes/no
are 1/0. A value of the JSON the layout has no place for stops the script.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from chalicelib.domain.declaration_fields import FieldSpec
from chalicelib.formats import single_window_template as swt
from chalicelib.formats._common import ENTRY_TYPES
from scripts.make_example_workbook import FIXED_TIME, flatten, reproducible_bytes

TITLE = "单一窗口数据导入模板"
# Rows 2–19 of the main sheet: each row's labels, in columns A, C, E, G, I, K (the value to the right).
HEAD_GRID: tuple[tuple[str, ...], ...] = (
    ("进出口标识", "申报地海关", "进/出境关别", "备案号", "合同号协议号"),
    ("进/出口日期", "境内收发货人代码", "境内收发货人名称", "境内收发货人名称（英文）",
     "境内收发货人检验检疫编码"),
    ("境外发货人代码", "境外收发货人名称（英文）", "境外收发货人地址", "境外收发货人名称（中文）"),
    ("消费使用单位代码", "消费使用单位名称", "消费使用单位检验检疫代码", "申报单位代码", "申报单位名称",
     "申报单位检验检疫代码"),
    ("运输方式", "运输工具名称", "航次号"),
    ("提运单号", "监管方式", "征免性质"),
    ("许可证号", "启运国/抵运国", "经停港/指运港", "成交方式"),
    ("运费标识", "运费数值", "运费币制代码"),
    ("保费标识", "保费数值", "保费币制代码"),
    ("杂费标识", "杂费数值", "杂费币制代码"),
    ("件数", "包装种类", "毛重（KG）", "净重（KG）"),
    ("贸易国别", "存放地点", "启运港", "启运日期"),
    ("报关单类型", "标记唛码", "备注", "清单类型"),
    ("检验检疫受理机关", "领证机关", "口岸检验检疫机构", "入境/离境口岸", "B/L号"),
    ("目的地检验检疫机关", "关联号码", "关联理由", "原箱运输", "卸毕日期"),
    ("特殊业务标识-国际赛事", "特殊业务标识-特殊进\n出军工物资", "特殊业务标识-国际援\n助物资",
     "特殊业务标识-国际\n会议", "特殊通过模式-直通放行"),
    ("特殊通过模式-外交礼遇", "特殊通过模式-转关", "特殊关系确认", "价格影响确认",
     "与货物有关的特许权使用\n费支付确认"),
    ("关联报关单号", "关联备案号", "保税/监管场地", "货场代码"),
)  # fmt: skip
GOODS_HEADER_ROW = 22
GOODS_HEADER: tuple[str, ...] = (
    "项号", "备案序号", "商品编号", "检验检疫编码", "商品名称", "规格型号", "成交数量", "成交计量单位", "单价",
    "总价", "币制", "法定第一数量", "法定第一计量单位", "加工成品版本号", "货号", "最终目的国（地区）",
    "法定第二数量", "法定第二计量单位", "原产国（地区）", "原产地区代码", "境内目的地/境内货源地",
    "目的地代码/产地代码", "征免方式", "货物属性代码", "英文名称", "用途代码", "非危险货物", "UN编号", "危险类别",
    "包装类别", "包装UN标记", "成分", "产品有效期（天）", "保质期", "境外生产企业", "货物规格", "货物型号",
    "货物品牌", "生产日期", "生产批次", "生产单位代码",
)  # fmt: skip
# The other sheets in the template's order: (sheet, title in row 1, list, header in row 2).
OTHER_SHEETS: tuple[tuple[str, str, str | None, tuple[str, ...]], ...] = (
    (swt.SHEET_LICENCES, "许可证信息", "goods[].licences",
     ("商品序号", "许可证信息序号", "许可证类别代码", "许可证编号", "核销货物序号", "核销数量", "核销数量单位")),
    (swt.SHEET_VIN, "许可证VIN信息", "goods[].licences[].vins",
     ("商品序号", "许可证信息序号", "VIN序号", "提/运单日期", "质量保质期", "发动机号或电机号", "车俩识别代码",
      "底盘号", "发票所列数量", "品名（中文）", "品名（英文）", "型号（英文）", "单价", "发票号")),
    (swt.SHEET_CERTIFICATES, "检验检疫所需单证", "requested_certificates", ("证书代码", "正本数量", "副本数量")),
    (swt.SHEET_CONTAINERS, "集装箱信息", "containers",
     ("集装箱号", "集装箱规格", "集装箱自重", "拼箱标识", "商品项号关系")),
    (swt.SHEET_LICENCE_DOCUMENTS, "随附单证信息", "licence_documents", ("随附单证代码", "单证编号")),
)  # fmt: skip
_EXPORT_PARTY = {consignee: consignor for consignor, consignee in swt._EXPORT_PARTY.items()}
_ENTRY_CODES = {name: code for code, name in ENTRY_TYPES.items()}


class Unplaced(Exception):
    """A value of the JSON source the template has no cell for."""


def cell_text(spec: FieldSpec, value: Any) -> str | None:
    """A value as the Single Window's file holds it: text."""
    if value is None or value == "":
        return None
    if spec.kind == "bool":
        return "1" if value else "0"
    if spec.kind == "date":
        return str(value).replace("-", "")
    if spec.kind == "entry_type":
        return _ENTRY_CODES[value]
    return str(value)


def _spec(list_name: str, label: str) -> FieldSpec | None:
    return swt.labels(list_name).get(swt.label_key(label))


def build(declaration: dict[str, Any] | None) -> Workbook:
    """The template, filled with `declaration` (our JSON contract) unless None."""
    declaration = declaration or {}
    workbook = Workbook()
    placed: set[str] = set()
    _main_sheet(workbook, declaration, placed)
    for sheet_name, title, list_name, header in OTHER_SHEETS:
        sheet = workbook.create_sheet(sheet_name)
        _title(sheet, title, len(header))
        sheet.append(list(header))
        for entry_path, entry in _entries(declaration, list_name):
            sheet.append([_entry_cell(entry_path, entry, list_name or "", label, placed) for label in header])
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                cell.number_format = "@"
        for index in range(1, sheet.max_column + 1):
            sheet.column_dimensions[get_column_letter(index)].width = 16
    _check_placed(declaration, placed)
    workbook.properties.created = workbook.properties.modified = FIXED_TIME
    workbook.properties.creator = "smartdecl"
    return workbook


def _main_sheet(workbook: Workbook, declaration: dict[str, Any], placed: set[str]) -> None:
    main = workbook.active
    assert main is not None
    main.title = swt.MAIN_SHEET
    head = flatten(declaration)
    if head.get("ie_flag") == "E":  # an export's overseas consignee stands in the consignor's cells
        head = {_EXPORT_PARTY.get(path, path): value for path, value in head.items()}
    _title(main, TITLE, 10)
    for offset, labels in enumerate(HEAD_GRID):
        row = swt.HEAD_FIRST_ROW + offset
        for index, label in enumerate(labels):
            main.cell(row, 2 * index + 1, label)
            spec = _spec("", label)
            if spec is not None and spec.path in head:
                main.cell(row, 2 * index + 2, cell_text(spec, head[spec.path]))
                placed.add(spec.path)
    for index, label in enumerate(GOODS_HEADER, 1):
        main.cell(GOODS_HEADER_ROW, index, label).font = Font(bold=True)
    for number, item in enumerate(declaration.get("goods") or []):
        flat = flatten(item)
        for index, label in enumerate(GOODS_HEADER, 1):
            spec = _spec("goods", label)
            if spec is not None and spec.leaf in flat:
                main.cell(GOODS_HEADER_ROW + 1 + number, index, cell_text(spec, flat[spec.leaf]))
                placed.add(f"goods[{number}].{spec.leaf}")


def _entry_cell(entry_path: str, entry: dict[str, Any], list_name: str, label: str, placed: set[str]) -> str | None:
    key = swt.label_key(label)
    if key == swt.LICENCE_ITEM_LABEL:
        return str(entry["_g_no"])
    if key == swt.LICENCE_ORDER_LABEL:
        return str(entry["_order"])
    spec = _spec(list_name, label)
    if spec is None or spec.leaf not in entry:
        return None
    placed.add(f"{entry_path}.{spec.leaf}")
    return cell_text(spec, entry[spec.leaf])


def _title(sheet: Any, title: str, width: int) -> None:
    sheet.cell(1, 1, title).font = Font(bold=True, size=14)
    sheet.cell(1, 1).alignment = Alignment(horizontal="center")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)


def _entries(declaration: dict[str, Any], list_name: str | None) -> list[tuple[str, dict[str, Any]]]:
    if list_name is None:
        return []
    licences = [
        (f"goods[{n}].licences[{k}]", licence, {"_g_no": item["g_no"], "_order": k + 1})
        for n, item in enumerate(declaration.get("goods") or [])
        for k, licence in enumerate(item.get("licences") or [])
    ]
    if list_name == "goods[].licences":
        return [(path, {**flatten(licence), **ties}) for path, licence, ties in licences]
    if list_name == "goods[].licences[].vins":  # a vehicle names its licence's goods item and order
        return [
            (f"{path}.vins[{v}]", {**flatten(vin), **ties})
            for path, licence, ties in licences
            for v, vin in enumerate(licence.get("vins") or [])
        ]
    return [(f"{list_name}[{n}]", flatten(entry)) for n, entry in enumerate(declaration.get(list_name) or [])]


def _leaves(value: Any, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [leaf for key, inner in value.items() for leaf in _leaves(inner, f"{path}.{key}" if path else key)]
    if isinstance(value, list):
        return [leaf for n, inner in enumerate(value) for leaf in _leaves(inner, f"{path}[{n}]")]
    return [] if value is None or value == "" else [path]


def _check_placed(declaration: dict[str, Any], placed: set[str]) -> None:
    export = declaration.get("ie_flag") == "E"
    wanted = {_EXPORT_PARTY.get(leaf, leaf) if export else leaf for leaf in _leaves(declaration)}
    missing = sorted(wanted - placed)
    if missing:
        raise Unplaced(f"the template has no cell for: {', '.join(missing)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", default=str(ROOT / "examples" / "single_window_template.xlsx"))
    parser.add_argument("--source", default=str(ROOT / "examples" / "single_window_template.json"))
    parser.add_argument("--blank", action="store_true", help="write the template without data")
    args = parser.parse_args(argv)
    declaration = None if args.blank else json.loads(Path(args.source).read_text(encoding="utf-8"))["declaration"]
    Path(args.output).write_bytes(reproducible_bytes(build(declaration)))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
