"""Lists of declarations, shared by `declarations list` and `tax list`: the API's filters as
options, pages followed by cursor, and the table's columns."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer

from smartdecl_client import Client

from . import output
from .output import err, out

FILTERS = (
    "enterprise_type",
    "declaration_type",
    "ie_flag",
    "declare_customs",
    "smart_mark",
    "status",
    "smart_status",
    "seq_no",
    "entry_id",
    "bill_no",
    "consignee",
    "transport_mode",
    "card_no",
    "batch_no",
    "config_name",
    "tax_status",
    "from",
    "to",
    "range",
)


def with_filters(fn: Callable) -> Callable:
    """Adds the API's query filters (README: GET /declarations) as --options; passes them as `filters`."""
    sig = inspect.signature(fn, eval_str=True)  # Typer reads Annotated options from real objects
    extra = [
        inspect.Parameter(
            f"f_{name}",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                str | None, typer.Option(f"--{name.replace('_', '-')}", help=f"filter: {name}", show_default=False)
            ],
        )
        for name in FILTERS
    ]

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        filters = {name: kwargs.pop(f"f_{name}") for name in FILTERS}
        return fn(*args, filters={k: v for k, v in filters.items() if v is not None}, **kwargs)

    # typer reads the signature; typeshed's functools._Wrapped does not declare __signature__
    run.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=[p for p in sig.parameters.values() if p.name != "filters"] + extra
    )
    return run


def pages(client: Client, path: str, params: dict[str, Any], everything: bool):
    cursor = params.get("cursor")
    while True:
        page = client.get(path, {**params, "cursor": cursor})
        yield page
        cursor = page.get("next_cursor")
        if not everything or not cursor:
            return


DECLARATION_COLUMNS = (
    "seq_no",
    "ie_flag",
    "status",
    "smart_mark",
    "smart_status",
    "waiting_reason",
    "bill_no",
    "entry_id",
    "batch_no",
    "updated_at",
)


def declaration_rows(items: list[dict]) -> list[tuple]:
    return [tuple(d.get(c) for c in DECLARATION_COLUMNS) for d in items]


def list_items(
    client: Client,
    path: str,
    filters: dict,
    page_size: int,
    cursor: str | None,
    all_pages: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    items: list[dict] = []
    next_cursor = None
    for page in pages(client, path, {**filters, "page_size": page_size, "cursor": cursor}, all_pages):
        items += page.get("items") or []
        next_cursor = page.get("next_cursor")
    if as_json:
        output.print_json({"items": items, "next_cursor": next_cursor})
    elif quiet:
        for d in items:
            out.print(d["seq_no"], markup=False, highlight=False)
    else:
        output.table(None, DECLARATION_COLUMNS, declaration_rows(items))
        if next_cursor:
            err.print(f"more: --cursor {next_cursor}  (or --all)", markup=False, highlight=False)
