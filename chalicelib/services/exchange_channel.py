"""Use cases: the agent's heartbeat, the channel's state for people (报文客户端状态), and the
schedule's checks: a silent agent while sends wait, and the handover watchdog.

Subscribers hear once when the agent goes silent or the client stops sending while declarations
wait, and once when it is back: the channel's item records what was told (`alerts`), written with
a condition on its version, so two containers never tell it twice. The silence check runs on the
schedule (every minute), never per request; the client's state is judged at each heartbeat.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from chalicelib.domain import errors, lifecycle
from chalicelib.domain.declaration_log import LogEntry
from chalicelib.domain.errors import FieldError
from chalicelib.domain.events import Event, customs_channel, naming
from chalicelib.domain.exchange import (
    AGENT_SILENT_AFTER,
    CHANNEL_WORDS,
    FOLDERS,
    Send,
    SendState,
    agent_state,
    client_state,
)
from chalicelib.domain.identity import Identity
from chalicelib.domain.timestamps import iso

from .exchange import Exchange, _ours, move_send
from .exchange_credentials import credential_id_of
from .exchange_ports import OpenSend, SendMoved

_TEXT_LIMITS = {"agent_version": 64, "hostname": 255, "started_at": 40, "clock": 40}
_ATTEMPTS = 3


def _dt(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _bad(field: str, zh: str, en: str) -> errors.DomainError:
    return errors.invalid_request([FieldError(field, zh, en)])


def read_heartbeat(body: Any) -> dict[str, Any]:
    """What a heartbeat says, checked and trimmed to what is kept (unknown keys are ignored: a newer
    agent may say more)."""
    if not isinstance(body, dict):
        raise _bad("(body)", "请求体须为JSON对象", "the body must be a JSON object")
    beat: dict[str, Any] = {}
    for name, limit in _TEXT_LIMITS.items():
        value = body.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise _bad(name, f"{name} 须为不超过{limit}字的文字", f"{name} must be text of at most {limit} characters")
        beat[name] = value
    client = body.get("client", "unknown")
    if client not in ("up", "down", "unknown"):
        raise _bad("client", "client 须为 up、down 或 unknown", "client must be up, down or unknown")
    beat["client_reported"] = client
    folders = body.get("folders") or {}
    if not isinstance(folders, dict):
        raise _bad("folders", "folders 须为对象", "folders must be an object")
    beat["folders"] = {}
    for name in FOLDERS:
        folder = folders.get(name)
        if folder is None:
            continue
        count, age = (folder.get("count"), folder.get("oldest_age_seconds")) if isinstance(folder, dict) else (-1, None)
        if (
            isinstance(count, bool)
            or not isinstance(count, int)
            or count < 0
            or (age is not None and (isinstance(age, bool) or not isinstance(age, (int, float)) or age < 0))
        ):
            raise _bad(
                f"folders.{name}",
                "每个文件夹须为 {count, oldest_age_seconds}",
                "each folder must be {count, oldest_age_seconds}",
            )
        beat["folders"][name] = {"count": count, "oldest_age_seconds": age}
    journal = body.get("journal") or {}
    unacknowledged = journal.get("unacknowledged") if isinstance(journal, dict) else None
    beat["unacknowledged"] = (
        unacknowledged if isinstance(unacknowledged, int) and not isinstance(unacknowledged, bool) else None
    )
    return beat


def heartbeat(x: Exchange, identity: Identity, body: Any) -> dict[str, Any]:
    """POST /agent/heartbeat: the agent is alive, and how the client's folders look. Tells the
    subscribers when the client stopped sending (or sends again), and when a silent agent is back."""
    beat = read_heartbeat(body)
    now = x.clock()
    ent = identity.ent_code
    outbox = beat["folders"].get("outbox") or {}
    client = client_state(outbox.get("oldest_age_seconds"), beat["client_reported"])
    for _ in range(_ATTEMPTS):
        stored = x.channels.get(ent)
        fields, version = stored if stored is not None else ({}, None)
        alerts = dict(fields.get("alerts") or {})
        events: list[Event] = []
        if client == "down" and not alerts.get("client"):
            since = str(fields.get("client_down_since") or iso(now))
            told = _channel_event(x, ent, "client", "down", since, now)
            if told is not None:
                events.append(told)
                alerts["client"] = since
        elif client != "down" and alerts.get("client"):
            told = _channel_event(x, ent, "client", "up", alerts["client"], now, waiting_only=False)
            events += [told] if told is not None else []
            alerts["client"] = None
        if alerts.get("agent"):
            told = _channel_event(x, ent, "agent", "up", alerts["agent"], now, waiting_only=False)
            events += [told] if told is not None else []
            alerts["agent"] = None
        new = {
            **fields,
            **beat,
            "ent_code": ent,
            "credential_id": credential_id_of(identity),
            "last_contact_at": iso(now),
            "client": client,
            "client_down_since": (fields.get("client_down_since") or iso(now)) if client == "down" else None,
            "alerts": alerts,
        }
        try:
            x.channels.save(ent, new, version)
        except SendMoved:  # another heartbeat or the schedule wrote it first: judge again on it
            continue
        _publish(x, events)
        break
    x.credentials.contact(credential_id_of(identity), now, beat.get("hostname"), beat.get("agent_version"))
    return {"server_time": iso(now), "poll_seconds": x.poll_seconds}


def _channel_event(
    x: Exchange, ent: str, part: str, state: str, since: str, now: datetime, waiting_only: bool = True
) -> Event | None:
    """The event telling it, named by a declaration that waits; None when none waits (a down is told
    only while declarations wait; a back is told whenever a down was)."""
    first = x.outbox.first_open(ent)
    if first is None and waiting_only:
        return None
    counts = x.outbox.counts(ent)
    decl = x.engine.declarations.get(first[0]) if first is not None else None
    seq_no = decl.seq_no if decl is not None else (first[0] if first else "")
    if not seq_no:  # nothing waits and nothing names it: a back with nothing left waiting goes untold
        return None
    return customs_channel(
        ent_code=ent,
        part=part,
        state=state,
        since=since,
        seq_no=seq_no,
        ie_flag=seq_no[:1],
        occurred_at=now,
        data={**(naming(decl) if decl is not None else {}), "waiting": sum(counts.values()), **counts},
    )


def _publish(x: Exchange, events: list[Event]) -> None:
    if events and x.publisher is not None:
        x.publisher.publish(events)


# ---- the schedule -------------------------------------------------------------------------------


def watch_channels(x: Exchange) -> dict[str, int]:
    """Every minute: each enterprise with unanswered sends whose agent has been silent (or was never
    seen) for AGENT_SILENT_AFTER is told once; sends taken and unanswered past the watchdog are
    flagged, logged and told once (never sent again by themselves)."""
    now = x.clock()
    open_sends = x.outbox.open_sends()
    by_ent: dict[str, list[OpenSend]] = defaultdict(list)
    for send in open_sends:
        by_ent[send.ent_code].append(send)
    channels = x.channels.get_many(list(by_ent)) if by_ent else {}
    silent = 0
    for ent, sends in by_ent.items():
        fields, version = channels.get(ent, ({}, None))
        last = _dt(fields.get("last_contact_at"))
        waited_since = last or min(s.created_at for s in sends)
        if now - waited_since < AGENT_SILENT_AFTER or (fields.get("alerts") or {}).get("agent"):
            continue
        since = iso(last) if last else iso(waited_since)
        event = _channel_event(x, ent, "agent", "down", since or "", now)
        if event is None:
            continue
        new = {**fields, "ent_code": ent, "alerts": {**(fields.get("alerts") or {}), "agent": since}}
        try:
            x.channels.save(ent, new, version)
        except SendMoved:  # a heartbeat came meanwhile: the agent is not silent, or the next minute tells
            continue
        _publish(x, [event])
        silent += 1
    return {"agents_silent": silent, "handovers_overdue": _watchdog(x, open_sends, now)}


def _watchdog(x: Exchange, open_sends: list[OpenSend], now: datetime) -> int:
    flagged = 0
    for found in open_sends:
        if found.taken_at is None or found.overdue_at is not None or now - found.taken_at < x.handover_watchdog:
            continue

        def move(s: Send) -> Send:
            return s.flag_overdue(now) if s.open and s.overdue_at is None else s

        def step(decl, before: Send, after: Send) -> lifecycle.Change | None:
            if after is before or not _ours(decl, after) or after.taken_at is None:
                return None
            hours = max(1, int((now - after.taken_at).total_seconds() // 3600))
            entry = LogEntry(
                now,
                "exchange",
                "overdue",
                f"报文客户端代理领取报文{hours}小时后仍未收到海关回执，请在单一窗口客户端核查(不会自动重发)",
                f"no answer from customs {hours} hours after the agent took the message; check it in the "
                "Single Window client (it is not sent again by itself)",
                "system",
                decl.batch_no,
                {"send_no": after.send_no, "state": str(after.state), "taken_at": iso(after.taken_at)},
            )
            return lifecycle.handover_late(decl, now, entry, send_no=after.send_no, taken_at=after.taken_at)

        try:
            before, after, _ = move_send(x, found.ent_code, found.client_seq_no, found.send_no, move, step)
        except errors.DomainError:  # gone or busy: the next minute looks again
            continue
        flagged += after is not before
    return flagged


# ---- for people: 报文客户端状态 ---------------------------------------------------------------------


def channel_status(x: Exchange, identity: Identity) -> dict[str, Any]:
    """GET /customs/channel: the channel, the agent, the client, the outbox, and files kept."""
    now = x.clock()
    stored = x.channels.get(identity.ent_code)
    fields = stored[0] if stored is not None else {}
    last = _dt(fields.get("last_contact_at"))
    agent = agent_state(last, now)
    client = fields.get("client") or "unknown"
    if agent != "online":  # what a silent agent last said of the client is not news
        client = "unknown"
    outbox_folder = (fields.get("folders") or {}).get("outbox") or {}
    counts = x.outbox.counts(identity.ent_code)
    return {
        "channel": x.channel,
        "agent": {
            "state": agent,
            "label_zh": CHANNEL_WORDS[agent][0],
            "label_en": CHANNEL_WORDS[agent][1],
            "last_contact_at": iso(last),
            "agent_version": fields.get("agent_version"),
            "hostname": fields.get("hostname"),
            "started_at": fields.get("started_at"),
            "credential_id": fields.get("credential_id"),
        },
        "client": {
            "state": client,
            "label_zh": CHANNEL_WORDS[client][0],
            "label_en": CHANNEL_WORDS[client][1],
            "outbox_files": outbox_folder.get("count"),
            "oldest_outbox_age_seconds": outbox_folder.get("oldest_age_seconds"),
            "down_since": fields.get("client_down_since") if client == "down" else None,
        },
        "folders": fields.get("folders") or {},
        "outbox": {str(state): counts.get(str(state), 0) for state in _COUNTED},
        "kept_files": x.files.kept(identity.ent_code, limit=20),
    }


_COUNTED = (SendState.QUEUED, SendState.TAKEN, SendState.WRITTEN, SendState.SENT)
