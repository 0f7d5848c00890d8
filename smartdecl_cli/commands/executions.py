"""`smartdecl start|watch|stop|executions`: pressing start once (一键启动) and watching it live."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from smartdecl_client import Client

from .. import output, profile
from ..context import JsonOpt, Refused, Usage, command, state
from ..output import err, out
from .configs import resolve_configs
from .events import event_line


@command
def start(
    config: Annotated[list[str], typer.Option(help="Config id or name (repeat for several).")],
    enterprise_type: Annotated[str, typer.Option(help="agent or consignee.")] = "agent",
    watch_it: Annotated[bool, typer.Option("--watch", help="Then watch it live.")] = False,
    until: Annotated[
        str | None,
        typer.Option(help="With --watch: stop watching at the first `released` (放行) or `succeeded` declaration."),
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between refreshes.")] = 2.0,
    timeout: Annotated[float | None, typer.Option(help="Stop watching after this many seconds.")] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Print the execution id only.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Press start once (一键启动): the first batch starts at once."""
    st = state()
    _check_until(until)
    config_ids = resolve_configs(st.client, config)
    # where the feed stands before the start: the watch then sees every event of this execution
    cursor = _feed_end(st.client) if watch_it and until else ""
    execution = st.client.post("/executions", {"enterprise_type": enterprise_type, "config_ids": config_ids})
    profile.write_state(st.profile, "last-execution", execution["execution_id"])
    if quiet:
        out.print(execution["execution_id"], markup=False, highlight=False)
    elif as_json and not watch_it:
        output.print_json(execution)
    elif not as_json:
        out.print(f"started {execution['execution_id']}", markup=False, highlight=False)
    if watch_it:
        _watch(execution["execution_id"], until, interval, timeout, as_json, cursor)


def _check_until(until: str | None) -> None:
    if until not in (None, "released", "succeeded"):
        raise Usage("--until is released or succeeded")


def _execution_ref(execution: str | None) -> str:
    st = state()
    ref = execution or profile.read_state(st.profile, "last-execution")
    if not ref:
        raise Usage("give an execution id (none was started from this profile)")
    return ref


@command
def watch(
    execution: Annotated[str | None, typer.Argument(help="Default: the last one started here.")] = None,
    until: Annotated[
        str | None, typer.Option(help="Stop watching at the first `released` or `succeeded` declaration.")
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between refreshes.")] = 2.0,
    timeout: Annotated[float | None, typer.Option(help="Stop watching after this many seconds.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Watch an execution live; Ctrl-C stops watching, not the execution."""
    _check_until(until)
    _watch(_execution_ref(execution), until, interval, timeout, as_json)


def _until_met(until: str | None, event: dict) -> bool:
    data = event.get("data") or {}
    if until == "released":
        return event.get("event_type") == "customs_receipt" and data.get("channel") == "P"
    if until == "succeeded":
        return event.get("event_type") == "smart_status_changed" and data.get("smart_status") == "succeeded"
    return False


def _feed_end(client: Client) -> str | None:
    """The cursor after every event so far: a watch only looks at what happens from now on."""
    cursor = None
    while True:
        page = client.get("/events", {"after": cursor, "page_size": 500})
        cursor = page.get("next_cursor")
        if not page.get("has_more"):
            return cursor


def _watch(
    execution_id: str, until: str | None, interval: float, timeout: float | None, as_json: bool, cursor: str | None = ""
) -> None:
    from rich.live import Live

    st = state()
    deadline = time.monotonic() + timeout if timeout is not None else None
    if until and cursor == "":  # "": not known yet; None: the feed's start
        cursor = _feed_end(st.client)
    last_event: dict | None = None
    try:
        with Live(console=out, auto_refresh=False, transient=False) as live:
            if as_json:
                live.stop()
            while True:
                view = st.client.get(f"/executions/{execution_id}")
                met = False
                if until:
                    cursor, last_event, met = _next_events(st.client, until, cursor, last_event)
                if as_json:
                    output.print_json_line({"execution": view, **({"until_met": met} if until else {})})
                else:
                    live.update(_live_view(view, last_event, st.lang), refresh=True)
                if met or view.get("status") == "stopped" or (deadline and time.monotonic() >= deadline):
                    break
                time.sleep(interval)
    except KeyboardInterrupt:
        err.print(
            f"\n{execution_id} is still running: `smartdecl watch {execution_id}` to look again, "
            f"`smartdecl stop {execution_id}` to stop it.",
            markup=False,
            highlight=False,
        )
        return
    if until and not met:
        raise Refused(f"no declaration {until} before the watch ended")
    if not as_json and met and last_event:
        out.print(f"{last_event.get('seq_no')} {until}", markup=False, highlight=False)


def _next_events(
    client: Any, until: str, cursor: str | None, last_event: dict | None
) -> tuple[str | None, dict | None, bool]:
    """The feed read on from `cursor`: (the next cursor, the last event seen, whether `until` was met)."""
    page = client.get("/events", {"after": cursor, "page_size": 500})
    cursor = page.get("next_cursor") or cursor
    for item in page.get("items") or []:
        last_event = item["event"]
        if _until_met(until, last_event):
            return cursor, last_event, True
    return cursor, last_event, False


def _live_view(view: dict, last_event: dict | None, lang: str):
    from rich.progress_bar import ProgressBar
    from rich.table import Table

    zh = lang == "zh"
    percent = view.get("progress_percent") or 0
    t = Table(show_header=False, title=f"{view.get('execution_id')} ({view.get('status')})")
    t.add_column(style="bold")
    t.add_column()
    rows: list[tuple[str, Any]] = [
        ("批次号" if zh else "batch", f"{view.get('current_batch_no') or '-'} (#{view.get('batch_index') or 0})"),
        (
            "本批成功/失败" if zh else "this batch ok/failed",
            f"{view.get('batch_succeeded')} / {view.get('batch_failed')}",
        ),
        ("累计成功/失败" if zh else "total ok/failed", f"{view.get('total_succeeded')} / {view.get('total_failed')}"),
        ("进度" if zh else "progress", f"{percent}%"),
        ("", ProgressBar(total=100, completed=percent, width=30)),
        (
            "倒计时" if zh else "next batch in",
            "-" if view.get("countdown_seconds") is None else f"{view.get('countdown_seconds')} s",
        ),
        ("海关可用" if zh else "customs available", "✓" if view.get("customs_available") else "✗"),
    ]
    if last_event:
        rows.append(("最近事件" if zh else "last event", event_line(last_event)))
    for label, value in rows:
        t.add_row(label, value)
    return t


@command
def stop(
    execution: Annotated[str | None, typer.Argument(help="Default: the last one started here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Stop: no new batch starts; declarations in flight finish."""
    data = state().client.post(f"/executions/{_execution_ref(execution)}/stop")
    output.print_json(data) if as_json else output.pairs(
        "stopped", data, ["execution_id", "status", "batches_total", "total_succeeded", "total_failed"]
    )


@command
def executions(as_json: JsonOpt = False) -> None:
    """The enterprise's executions, newest first."""
    data = state().client.get("/executions")
    if as_json:
        return output.print_json(data)
    cols = ("execution_id", "status", "started_at", "batches_total", "total_succeeded", "total_failed")
    output.table(None, cols, [tuple(e.get(c) for c in cols) for e in data.get("items") or []])
