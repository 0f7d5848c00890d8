"""Printing: JSON for machines (--json), Rich tables for people; errors in the chosen language."""

from __future__ import annotations

import json
import locale
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

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


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    t = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        t.add_column(column, overflow="fold")
    for row in rows:
        t.add_row(*("" if v is None else str(v) for v in row))
    out.print(t)


def pairs(title: str | None, data: dict[str, Any], keys: Sequence[str] | None = None) -> None:
    t = Table(title=title, show_header=False)
    t.add_column("field", style="bold")
    t.add_column("value", overflow="fold")
    for key in keys or list(data):
        value = data.get(key)
        t.add_row(
            key,
            json.dumps(value, ensure_ascii=False)
            if isinstance(value, (dict, list))
            else ("" if value is None else str(value)),
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
