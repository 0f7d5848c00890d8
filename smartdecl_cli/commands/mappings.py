"""`smartdecl mappings`: the enterprise's column mappings (how a customer's goods list is read), by id
or name; `smartdecl import --mapping NAME list.xlsx` imports a goods list through one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from smartdecl_client import Client

from .. import output
from ..context import JsonOpt, Usage, command, state

app = typer.Typer(help="Column mappings (列映射): list, show, create, update, delete.", no_args_is_help=True)

COLUMNS = ("mapping_id", "name", "sheet", "header_row", "columns", "version")
FileArg = Annotated[Path, typer.Argument(help="A mapping JSON: name, sheet, header_row, columns, defaults.")]


def resolve_mapping(client: Client, ref: str) -> str:
    """A mapping id, or a mapping's name (resolved among the enterprise's mappings)."""
    mappings = client.get("/column-mappings").get("items") or []
    if any(m["mapping_id"] == ref for m in mappings):
        return ref
    named = next((m["mapping_id"] for m in mappings if m.get("name") == ref), None)
    if named is None:
        raise Usage(f"no column mapping is named {ref!r}")
    return named


def _read(path: Path) -> dict[str, Any]:
    try:
        body = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise Usage(f"{path}: not a JSON file ({exc})") from exc
    if not isinstance(body, dict):
        raise Usage(f"{path}: expected a JSON object")
    body.pop("_comment", None)
    return body


def _show(data: dict[str, Any], as_json: bool) -> None:
    output.print_json(data) if as_json else output.pairs(data.get("name"), data)


@app.command("list")
@command
def mappings_list(as_json: JsonOpt = False) -> None:
    """The enterprise's column mappings."""
    data = state().client.get("/column-mappings")
    if as_json:
        return output.print_json(data)
    rows = [(*(m.get(k) for k in COLUMNS[:4]), len(m.get("columns") or []), m.get("version")) for m in data["items"]]
    output.table(None, COLUMNS, rows)


@app.command("show")
@command
def mappings_show(mapping: str, as_json: JsonOpt = False) -> None:
    """One column mapping, by id or name."""
    client = state().client
    _show(client.get(f"/column-mappings/{resolve_mapping(client, mapping)}"), as_json)


@app.command("create")
@command
def mappings_create(file: FileArg, as_json: JsonOpt = False) -> None:
    """Save a column mapping from a JSON file (legal-person card)."""
    _show(state().client.post("/column-mappings", _read(file)), as_json)


@app.command("update")
@command
def mappings_update(mapping: str, file: FileArg, as_json: JsonOpt = False) -> None:
    """Replace a column mapping, by id or name, with a JSON file (legal-person card)."""
    client = state().client
    _show(client.put(f"/column-mappings/{resolve_mapping(client, mapping)}", _read(file)), as_json)


@app.command("delete")
@command
def mappings_delete(mapping: str) -> None:
    """Delete a column mapping, by id or name (legal-person card)."""
    client = state().client
    client.delete(f"/column-mappings/{resolve_mapping(client, mapping)}")
