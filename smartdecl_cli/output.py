"""Printing: JSON for machines (--json), Rich tables for people; errors in the chosen language."""

from __future__ import annotations

import json
import locale
import os
import re
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from smartdecl_client import ApiError

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def language(choice: str | None) -> str:
    """zh or en: --lang, then SMARTDECL_LANG, then the locale."""
    if choice:
        return "zh" if choice.lower().startswith("zh") else "en"
    for value in (
        os.environ.get("SMARTDECL_LANG"),
        os.environ.get("LC_ALL"),
        os.environ.get("LC_MESSAGES"),
        os.environ.get("LANG"),
        (locale.getlocale()[0] or ""),
    ):
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def print_json_line(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
    sys.stdout.flush()


CHINA = timezone(timedelta(hours=8), "UTC+8")
# an instant as the API writes it: ISO 8601 with a zone (Z or ±hh:mm)
_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$")


def china_time(value: str) -> str:
    """An API instant ("2026-12-01T03:35:04Z") as people in China read it, with its zone:
    "2026-12-01 11:35:04+08:00". Anything else is returned as it is."""
    if not isinstance(value, str) or not _INSTANT.match(value):
        return value
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment.astimezone(CHINA).replace(microsecond=0).isoformat(sep=" ")


def cell(value: Any) -> str:
    """A value as a table shows it: nothing for None, instants in China time with the zone."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return china_time(value) if isinstance(value, str) else str(value)


# the columns a table keeps however narrow the terminal: its first (the key), and the state or result
KEPT = {"name", "status", "smart_status", "tax_status", "state", "active", "enabled", "bill_no", "outcome"}
GAP = 3  # a column's padding and the space between columns


def fitted(columns: Sequence[str], rows: list[list[str]], width: int) -> list[int]:
    """The indexes of the columns to show: all when they fit `width` unwrapped, else without the
    rightmost ones that are neither the first nor KEPT, until they fit (or only those are left)."""
    natural = [max([cell_len(c), *(max((cell_len(x) for x in r[i].splitlines()), default=0) for r in rows)]) + GAP
               for i, c in enumerate(columns)]  # fmt: skip
    shown = list(range(len(columns)))
    for i in reversed(range(1, len(columns))):
        if sum(natural[j] for j in shown) <= width:
            break
        if columns[i] not in KEPT:
            shown.remove(i)
    return shown


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Rows under their columns, fitted to the terminal (80 columns read as well as 200): when they do
    not fit, the rightmost columns that are not the key or a state are left out, and stderr says which
    (a wider terminal, `show` or --json has them); what is left shares the width, long values fold."""
    cells = [[cell(v) for v in row] for row in rows]
    shown = fitted(columns, cells, out.width)
    t = Table(title=title, show_lines=False, header_style="bold", pad_edge=False, box=box.SIMPLE_HEAD)
    for i in shown:
        t.add_column(columns[i], overflow="fold")
    for row in cells:
        t.add_row(*(row[i] for i in shown))
    out.print(t)
    left_out = [c for i, c in enumerate(columns) if i not in shown]
    if left_out:
        err.print(f"({', '.join(left_out)}: a wider terminal or --json)", markup=False, highlight=False, style="dim")


def pairs(title: str | None, data: dict[str, Any], keys: Sequence[str] | None = None) -> None:
    t = Table(title=title, show_header=False)
    t.add_column("field", style="bold")
    t.add_column("value", overflow="fold")
    for key in keys or list(data):
        value = data.get(key)
        t.add_row(
            key,
            json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else cell(value),
        )
    out.print(t)


def message(data: dict[str, Any], lang: str) -> str:
    return str(data.get(f"message_{lang}") or data.get("message_zh") or data.get("message_en") or "")


def api_error(error: ApiError, lang: str) -> None:
    """The API's bilingual error: the chosen language first, the other below, then the field errors."""
    first, second = (error.message_zh, error.message_en) if lang == "zh" else (error.message_en, error.message_zh)
    err.print(
        f"[bold red]{'错误' if lang == 'zh' else 'Error'}[/] {error.status} {error.code}: {first}",
        highlight=False,
        markup=True,
    )
    err.print(f"  {second}", highlight=False, markup=False)
    details = error.details
    if isinstance(details, list):
        for d in details:
            if isinstance(d, dict):
                err.print(
                    f"  - {d.get('field', '')}: {d.get(f'message_{lang}') or d.get('message_zh') or ''}",
                    highlight=False,
                    markup=False,
                )
    elif isinstance(details, dict) and details:
        err.print(f"  {json.dumps(details, ensure_ascii=False)}", highlight=False, markup=False)
