"""`smartdecl declarations list|show`, and what is done to declarations by seq_no or filter: mark,
unmark, continue; their log (申报记录)."""

from __future__ import annotations

from typing import Annotated

import typer

from smartdecl_client import Client

from .. import output
from ..context import JsonOpt, Refused, Usage, command, state
from ..listing import list_items, pages, with_filters
from ..output import out

app = typer.Typer(help="Query declarations.", no_args_is_help=True)


@app.command("list")
@command
@with_filters
def declarations_list(
    filters: dict[str, str],
    page_size: Annotated[int, typer.Option(help="1 to 100.")] = 10,
    cursor: Annotated[str | None, typer.Option(help="From an earlier page.")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Follow every page.")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Print seq_nos only.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Query declarations with the API's filters (marking and query screens)."""
    list_items(state().client, "/declarations", filters, page_size, cursor, all_pages, quiet, as_json)


@app.command("show")
@command
def declarations_show(seq_no: str, as_json: JsonOpt = False) -> None:
    """One declaration."""
    data = state().client.get(f"/declarations/{seq_no}")
    output.print_json(data) if as_json else output.pairs(seq_no, data)


def _matching(client: Client, filters: dict[str, str]) -> list[str]:
    return [
        d["seq_no"]
        for page in pages(client, "/declarations", {**filters, "page_size": 100}, True)
        for d in page.get("items") or []
    ]


def _seq_nos_or_filter(client: Client, seq_nos: list[str] | None, all_matching: bool, filters: dict) -> list[str]:
    if seq_nos and all_matching:
        raise Usage("give seq_nos or --all-matching with filters, not both")
    if all_matching:
        return _matching(client, filters)
    if filters:
        raise Usage("filters need --all-matching")
    if not seq_nos:
        raise Usage("give seq_nos, or --all-matching with filters")
    return list(dict.fromkeys(seq_nos))


def _bulk(path: str, seq_nos: list[str], count_key: str, as_json: bool) -> None:
    st = state()
    results = [st.client.post(path, {"seq_nos": seq_nos[i : i + 500]}) for i in range(0, len(seq_nos), 500)]
    done = sum(int(r.get(count_key) or 0) for r in results)
    refused = [x for r in results for x in r.get("refused") or []]
    if as_json:
        output.print_json({count_key: done, "refused": refused, "results": results})
    else:
        for r in results:
            out.print(output.message(r, st.lang), markup=False, highlight=False)
        if refused:
            output.table(
                "refused",
                ["seq_no", "reason", "message"],
                [(x.get("seq_no"), x.get("reason"), output.message(x, st.lang)) for x in refused],
            )
    if refused:
        raise Refused("")


@command
@with_filters
def mark(
    filters: dict[str, str],
    seq_nos: Annotated[list[str] | None, typer.Argument()] = None,
    all_matching: Annotated[bool, typer.Option("--all-matching", help="Every declaration the filters match.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add the smart mark (智能申报标记), by seq_no or to every declaration the filters match."""
    _marking("mark", filters, seq_nos, all_matching, as_json)


@command
@with_filters
def unmark(
    filters: dict[str, str],
    seq_nos: Annotated[list[str] | None, typer.Argument()] = None,
    all_matching: Annotated[bool, typer.Option("--all-matching", help="Every declaration the filters match.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Cancel the smart mark (only 暂存 and 待申报 ones), by seq_no or by filter."""
    _marking("unmark", filters, seq_nos, all_matching, as_json)


def _marking(verb: str, filters: dict[str, str], seq_nos: list[str] | None, all_matching: bool, as_json: bool) -> None:
    """mark or unmark: the named declarations, or every one the filters match."""
    st = state()
    targets = _seq_nos_or_filter(st.client, seq_nos, all_matching, filters)
    if not targets:
        if as_json:
            output.print_json({f"{verb}ed": 0, "refused": []})
        else:
            out.print("没有匹配的报关单" if st.lang == "zh" else "nothing matched")
        return
    _bulk(f"/declarations/{verb}", targets, f"{verb}ed", as_json)


@command
def continue_declarations(seq_nos: list[str], as_json: JsonOpt = False) -> None:
    """Continue (继续智能辅助申报): failed declarations back into the pool for the next batch."""
    _bulk("/declarations/continue", list(dict.fromkeys(seq_nos)), "continued", as_json)


@command
def log(seq_no: str, as_json: JsonOpt = False) -> None:
    """The declaration log (申报记录): every step with time, gate, outcome, reason, who, batch."""
    st = state()
    data = st.client.get(f"/declarations/{seq_no}/log")
    if as_json:
        return output.print_json(data)
    output.table(
        seq_no,
        ["at", "gate", "outcome", "reason", "who", "batch_no"],
        [
            (
                e.get("at"),
                e.get("gate"),
                e.get("outcome"),
                e.get(f"reason_{st.lang}") or e.get("reason_zh"),
                e.get("who"),
                e.get("batch_no"),
            )
            for e in data.get("items") or []
        ],
    )
