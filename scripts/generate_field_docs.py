"""Write the field reference docs/fields.md from the field table (chalicelib/domain/declaration_fields.py).

    .venv/bin/python scripts/generate_field_docs.py          # rewrite docs/fields.md
    .venv/bin/python scripts/generate_field_docs.py --check  # exit 1 when it differs from a fresh run

tests/unit/test_declaration_fields.py runs the check: the reference cannot fall behind the table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openpyxl.utils import get_column_letter

from chalicelib.domain import codes
from chalicelib.domain.declaration import is_required, leaf_paths
from chalicelib.domain.declaration_fields import GROUPS, KINDS, FieldSpec, by_path
from chalicelib.formats.excel_workbook import SHEETS, TEMPLATE

OUT = ROOT / "docs" / "fields.md"

INTRO = """\
# Declaration fields (报关单字段)

Every field of a declaration as the API takes and answers it (`GET/PUT /declarations/{seq_no}`,
`POST /declarations`), with the customs message (DecMessage) element that carries it, its place in
the Single Window's import template (货物申报导入模板) and in our workbook
([excel-template.md](excel-template.md)), and the code table its value must come from.
`GET /declaration-fields` answers the same list; `GET /code-tables/{name}` one code table.

Generated from the field table `chalicelib/domain/declaration_fields.py` by
`scripts/generate_field_docs.py`: do not edit by hand.

- **path**: the JSON field; `goods[].code_ts` is a field of each goods item.
- **tag**: the DecMessage element (`DecHead` unless the list says otherwise: goods `DecList`,
  containers `Container`, documents `EdocRealation`); a 3.1 tag in brackets where it differs;
  *4.x* marks fields version 3.1 does not carry; — means the message has no such field.
- **template**: the Single Window 货物申报导入模板's label (main sheet 基本信息&商品信息; a goods
  item's licences on 许可证信息, their vehicles on 许可证VIN信息, containers, documents and
  certificates on their own sheets).
- **workbook**: our workbook's sheet and column; — where our workbook has none (the vehicles a
  licence covers: DecGoodsLimitVin).
- **required**: the API refuses a declaration without it (a field inside an optional group, such as
  `freight.mark`, is required only once the group is given).
- Notes name what the readers and the writer handle by hand rather than from the table.

The writer (`formats/dec_message_writer.py`) writes DecMessage 4.8 by default; version 3.1, for old
QP clients, is refused for a declaration that fills any *4.x* field (the refusal names them), rather
than declared with parts missing. Stored declarations from before a field existed read with it empty.
"""


def _tag(spec: FieldSpec) -> str:
    if spec.tag is None:
        return "—"
    text = f"`{spec.tag}`"
    if spec.message_block and spec.block:
        text = f"`{spec.block}/{spec.tag}`"
    if spec.tag_31:
        text += f" (3.1: `{spec.tag_31}`)"
    if spec.since != "3.1":
        text += f" *{spec.since}*"
    return text


def _workbook(spec: FieldSpec) -> str:
    if spec.list not in SHEETS:
        return "—"
    sheet = SHEETS[spec.list]
    paths = [column.path for column in TEMPLATE[sheet]]
    if not spec.workbook or spec.leaf not in paths:
        return "—"
    return f"{sheet}!{get_column_letter(paths.index(spec.leaf) + 1)}"


def _code_table(spec: FieldSpec) -> str:
    return f"[{spec.code_table}](#{spec.code_table})" if spec.code_table else ""


def render() -> str:
    specs = by_path()
    lines = [INTRO]
    for group in GROUPS:
        paths = [path for path in leaf_paths() if specs[path].group == group.key]
        lines += [
            f"## {group.label_zh} · {group.label_en}\n",
            "| path | 中文 | English | tag | template | workbook | code table | required | note |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for path in paths:
            spec = specs[path]
            cells = [
                f"`{path}`",
                spec.label_zh,
                spec.label_en,
                _tag(spec),
                spec.sw_label or "",
                _workbook(spec),
                _code_table(spec),
                "yes" if is_required(path) else "",
                spec.in_code or "",
            ]
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        lines.append("")
    lines += [
        "## Code tables · 代码表\n",
        "Each table is a file `chalicelib/domain/data/codes/<name>.json` that names its source and date.\n",
        "| name | 中文 | English | codes | source | date |",
        "|---|---|---|---|---|---|",
    ]
    for name, (zh, en) in codes.TABLE_LABELS.items():
        source, made = codes.provenance(name)
        count = len(codes.table(name))
        lines.append(f'| <a id="{name}"></a>`{name}` | {zh} | {en} | {count} | {source.replace("|", "/")} | {made} |')
    lines += ["", "Value kinds the readers convert: " + ", ".join(f"`{kind}`" for kind in KINDS) + ".", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with docs/fields.md instead of writing it")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print("docs/fields.md is out of date: run scripts/generate_field_docs.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
