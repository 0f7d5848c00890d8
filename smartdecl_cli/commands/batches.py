"""`smartdecl batch`: the console of one batch (智能申报台)."""

from __future__ import annotations

from .. import output
from ..context import JsonOpt, command, state


@command
def batch(batch_no: str, as_json: JsonOpt = False) -> None:
    """The console of one batch (智能申报台): counts and each declaration's result."""
    st = state()
    data = st.client.get(f"/batches/{batch_no}")
    if as_json:
        return output.print_json(data)
    output.pairs(batch_no, {k: v for k, v in data.items() if k != "declarations"})
    output.table(
        None,
        ["seq_no", "result", "smart_status", "entry_id", "reason"],
        [
            (
                d.get("seq_no"),
                d.get("result"),
                d.get("smart_status"),
                d.get("entry_id"),
                d.get(f"reason_{st.lang}") or d.get("reason_zh"),
            )
            for d in data.get("declarations") or []
        ],
    )
