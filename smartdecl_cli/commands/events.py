"""`smartdecl events follow`: the event feed (GET /events), resumed where it left off."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from .. import output, profile
from ..context import JsonOpt, command, state
from ..output import out

app = typer.Typer(help="The event feed (GET /events).", no_args_is_help=True)


def event_line(e: dict) -> str:
    d = e.get("data") or {}
    what = (
        f"{d.get('channel')} {d.get('channel_label') or ''}".strip()
        if e.get("event_type") == "customs_receipt"
        else str(d.get("smart_status") or "")
    )
    extra = " ".join(
        str(x) for x in (d.get("waiting_reason"), d.get("entry_id"), d.get("batch_no"), d.get("reason_zh")) if x
    )
    when = output.china_time(e.get("occurred_at") or "")
    return f"{when}  {e.get('event_type')}  {e.get('seq_no')}  {what}  {extra}".rstrip()


@app.command("follow")
@command
def events_follow(
    from_start: Annotated[bool, typer.Option("--from-start", help="Ignore the saved cursor.")] = False,
    once: Annotated[bool, typer.Option("--once", help="Stop when caught up.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls when caught up.")] = 2.0,
    as_json: JsonOpt = False,
) -> None:
    """Every smart-status change and receipt as it happens, one line (or JSON object) each; resumes where
    it left off (the cursor is saved in the profile directory after each event)."""
    st = state()
    cursor = None if from_start else profile.read_state(st.profile, "events-cursor")
    try:
        while True:
            page = st.client.get("/events", {"after": cursor, "page_size": 100})
            for item in page.get("items") or []:
                if as_json:
                    output.print_json_line(item["event"])
                else:
                    out.print(event_line(item["event"]), markup=False, highlight=False)
                cursor = item["cursor"]
                profile.write_state(st.profile, "events-cursor", cursor)
            if not page.get("has_more"):
                if once:
                    return
                time.sleep(interval)
    except KeyboardInterrupt:
        return
