"""`smartdecl parts`: the parts library (归类): each part number's HS code, names, 规格型号 and units;
proposed by any card, approved or refused by the legal-person card. Imports fill goods from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from .. import output
from ..context import JsonOpt, Opt, Usage, command, state

app = typer.Typer(help="Parts library (归类): list, show, propose, approve, refuse.", no_args_is_help=True)

COLUMNS = ("part_no", "status", "code_ts", "g_name", "g_model", "unit", "version")


def _show(data: dict[str, Any], as_json: bool) -> None:
    output.print_json(data) if as_json else output.pairs(data.get("part_no"), data)


@app.command("list")
@command
def parts_list(
    status: Annotated[str | None, Opt(help="proposed, approved or refused.")] = None, as_json: JsonOpt = False
) -> None:
    """The enterprise's parts, every page."""
    client, after = state().client, None
    items: list[dict[str, Any]] = []
    while True:
        page = client.get("/parts", {"status": status, "after": after} if after else {"status": status})
        items += page.get("items") or []
        after = page.get("next_cursor")
        if not after:
            break
    if as_json:
        return output.print_json({"items": items})
    output.table(None, COLUMNS, [tuple(p.get(k) for k in COLUMNS) for p in items])


@app.command("show")
@command
def parts_show(part_no: str, as_json: JsonOpt = False) -> None:
    """One part with its history."""
    _show(state().client.get(f"/parts/{part_no}"), as_json)


@app.command("propose")
@command
def parts_propose(
    part_no: Annotated[str | None, typer.Argument(help="Propose it from the declarations that named it.")] = None,
    from_file: Annotated[Path | None, Opt(help="A part JSON: part_no, code_ts, g_name, g_model, units.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Propose a part: from a JSON file, or from the latest declarations naming PART_NO."""
    client = state().client
    if (part_no is None) == (from_file is None):
        raise Usage("give a PART_NO or --from-file, not both")
    if from_file is not None:
        try:
            body = json.loads(from_file.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            raise Usage(f"{from_file}: not a JSON file ({exc})") from exc
        return _show(client.post("/parts", body), as_json)
    _show(client.post(f"/parts/{part_no}/propose"), as_json)


@app.command("approve")
@command
def parts_approve(part_no: str, note: Annotated[str | None, Opt()] = None, as_json: JsonOpt = False) -> None:
    """Approve a proposed part (legal-person card): imports fill goods from it."""
    _show(state().client.post(f"/parts/{part_no}/approve", {"note": note} if note else {}), as_json)


@app.command("refuse")
@command
def parts_refuse(part_no: str, note: Annotated[str | None, Opt()] = None, as_json: JsonOpt = False) -> None:
    """Refuse a proposed part (legal-person card)."""
    _show(state().client.post(f"/parts/{part_no}/refuse", {"note": note} if note else {}), as_json)
