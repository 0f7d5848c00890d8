"""`smartdecl advisories`: the advisory prompts (温馨提示) a person confirms."""

from __future__ import annotations

from typing import Any

import typer

from .. import output
from ..context import JsonOpt, command, state

app = typer.Typer(
    help="Advisory prompts (温馨提示) a person confirms when the config leaves them to one.", no_args_is_help=True
)


@app.command("show")
@command
def advisories_show(seq_no: str, as_json: JsonOpt = False) -> None:
    """The prompts the declaration waits on, as its log's latest advisory step lists them."""
    st = state()
    steps = [e for e in st.client.get(f"/declarations/{seq_no}/log").get("items") or [] if e.get("gate") == "advisory"]
    latest: dict[str, Any] = steps[-1] if steps else {}  # the log reads oldest first
    details = latest.get("details")
    prompts = (details.get("prompts") if isinstance(details, dict) else details) or []
    if as_json:
        return output.print_json({"seq_no": seq_no, "outcome": latest.get("outcome"), "prompts": prompts})
    output.table(
        seq_no,
        ["code", "g_no", "prompt"],
        [(p.get("code"), p.get("g_no"), p.get(f"message_{st.lang}") or p.get("message_zh")) for p in prompts],
    )


@app.command("confirm")
@command
def advisories_confirm(seq_no: str, as_json: JsonOpt = False) -> None:
    """Confirm the prompts it raises now (see `advisories show`): the engine declares it in a later batch."""
    data = state().client.post(f"/declarations/{seq_no}/advisories/confirm")
    output.print_json(data) if as_json else output.pairs(seq_no, data)
