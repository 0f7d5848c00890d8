"""`smartdecl tax`: tax confirmation (税费确认)."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import output
from ..context import JsonOpt, command, state
from ..listing import list_items, with_filters

app = typer.Typer(help="Tax confirmation (税费确认).", no_args_is_help=True)


@app.command("list")
@command
@with_filters
def tax_list(
    filters: dict[str, str],
    page_size: Annotated[int, typer.Option()] = 10,
    cursor: Annotated[str | None, typer.Option()] = None,
    all_pages: Annotated[bool, typer.Option("--all")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Self-declared self-paid declarations whose tax is unconfirmed (税费确认查询)."""
    list_items(state().client, "/tax-confirmations", filters, page_size, cursor, all_pages, quiet, as_json)


@app.command("show")
@command
def tax_show(seq_no: str, as_json: JsonOpt = False) -> None:
    """The computed tax detail (duty, consumption tax, VAT)."""
    data = state().client.get(f"/declarations/{seq_no}/tax")
    output.print_json(data) if as_json else output.pairs(seq_no, data)


@app.command("confirm")
@command
def tax_confirm(seq_no: str, as_json: JsonOpt = False) -> None:
    """Confirm the tax by hand: the engine declares it in a later batch."""
    data = state().client.post(f"/declarations/{seq_no}/tax/confirm")
    output.print_json(data) if as_json else output.pairs(seq_no, data)
