"""`smartdecl enable`: the user notice (用户须知) and enabling the service."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import output
from ..context import JsonOpt, command, state


@command
def enable(
    accept: Annotated[bool, typer.Option("--accept", help="Accept the user notice (legal card).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show the user notice (用户须知) and whether it was accepted; --accept enables the service."""
    st = state()
    data = st.client.get("/enablement")
    if accept and not data.get("enabled"):
        data = st.client.post("/enablement", {"accept_notice": True})
    if as_json:
        return output.print_json(data)
    output.pairs("enablement", {k: v for k, v in data.items() if k != "notice"})
