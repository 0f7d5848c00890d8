"""The exchange channel's sends: one deliberate hand-over of a declaration's message to the Single
Window client, through the enterprise's agent (docs/customs-channel.md).

A send is `(client_seq_no, send_no)`. It is put *queued* by the submission, *taken* by the agent
under a lease, *written* into the client's OutBox, *sent* when the client moved it to SentBox, and
*answered* once: by the client's DecImportResponse (accepted or refused), a card failure, or the
agent giving up after three tries. Each move is a method that returns the new send (and never moves
it backwards), so a repeated request computes the same send again and the service answers the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from .timestamps import iso

LEASE = timedelta(minutes=5)  # an agent that took a send and died: it is handed out again after this
MAX_TRIES = 3  # the client's way: t-1, then t-2 and t-3 after a move to FailBox; then the agent gives up
MAX_TAKE = 50  # GET /agent/outbox?max= at most this


class SendState(StrEnum):
    QUEUED = "queued"  # put by the submission; no agent took it yet
    TAKEN = "taken"  # leased to the agent until lease_expires_at
    WRITTEN = "written"  # in the client's OutBox
    SENT = "sent"  # the client moved it to SentBox
    ANSWERED = "answered"  # closed; `answer` says how


_RANK = {state: n for n, state in enumerate(SendState)}


class Answer(StrEnum):
    ACCEPTED = "accepted"  # Successed_: DecImportResponse ResponseCode 0, customs' SeqNo
    REFUSED = "refused"  # Failed_: ErrorMessage
    CARD_FAILED = "card_failed"  # Failed_ carrying failCode: the card or its reader could not sign
    GAVE_UP = "gave_up"  # three tries in FailBox


class EventKind(StrEnum):
    """What the agent reports of a file it wrote (POST …/events)."""

    SENT = "sent"
    SEND_FAILED = "send_failed"
    GAVE_UP = "gave_up"


# The declaration's `handover` while a send is with the client (DeclarationView.handover), in words.
HANDOVER_WORDS: dict[str, tuple[str, str]] = {
    SendState.QUEUED: ("已交报文客户端，等待代理领取", "handed over; waiting for the agent to take it"),
    SendState.WRITTEN: ("已写入报文客户端发件箱", "in the Single Window client's OutBox"),
    SendState.SENT: ("报文客户端已发送，等待海关回执", "sent by the client; waiting for customs' answer"),
}


def handover_rank(state: str | None) -> int:
    """Where a declaration's `handover` stands (none < queued < written < sent): steps never go back."""
    return -1 if state is None else _RANK[SendState(state)]


class SendRefused(Exception):
    """The agent asked for a move the send cannot make (another lease, other bytes)."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code, self.message_zh, self.message_en = code, message_zh, message_en


@dataclass(frozen=True)
class Send:
    client_seq_no: str  # our seq_no
    send_no: int
    ent_code: str  # the enterprise whose agent takes it: the declaring unit, the declaration's owner
    ie_flag: str
    message_version: str
    sha256: str  # of the DecMessage XML, never of the zip
    first_try: int  # the try number of its first file: tries keep counting across a ClientSeqNo's sends
    created_at: datetime
    xml: bytes = b""  # the DecMessage, as handed out every time (read only where it is handed out)
    state: SendState = SendState.QUEUED
    last_try: int = 0  # the latest file's try (0: none written yet)
    lease_token: str | None = None
    lease_expires_at: datetime | None = None
    taken_at: datetime | None = None  # first taken: the watchdog counts from here
    handed_out: int = 0  # how many times it was taken
    file_name: str | None = None  # the first file, as acknowledged
    written_at: datetime | None = None
    sent_at: datetime | None = None
    answered_at: datetime | None = None
    answer: Answer | None = None
    customs_seq_no: str | None = None
    response_code: str | None = None
    message: str | None = None  # ErrorMessage, the card's failInfo, or why the agent gave up
    answered_by: str | None = None  # the InBox file (or the event) that answered it
    events: frozenset[str] = field(default_factory=frozenset)  # "<try>:<kind>" seen: each applies once
    overdue_at: datetime | None = None  # the watchdog flagged it
    version: int = 1

    @property
    def open(self) -> bool:
        return self.state != SendState.ANSWERED

    @property
    def stem_prefix(self) -> str:
        return f"{self.ie_flag}_{self.client_seq_no}_t-"

    def file_stem(self, try_no: int) -> str:
        return f"{self.stem_prefix}{try_no}"

    def holds_try(self, try_no: int) -> bool:
        """A file of this try names this send (a next send's first try is after its last)."""
        return self.first_try <= try_no < self.first_try + MAX_TRIES

    def leasable(self, now: datetime) -> bool:
        return self.state == SendState.QUEUED or (
            self.state == SendState.TAKEN and self.lease_expires_at is not None and self.lease_expires_at <= now
        )

    def _next(self, **changes) -> Send:
        return replace(self, version=self.version + 1, **changes)

    def take(self, now: datetime, token: str) -> Send:
        """Leased to the agent (again, when the last lease ran out unacknowledged)."""
        if not self.leasable(now):
            raise SendRefused("not_leasable", "该报文当前不可领取", "this send cannot be taken now")
        return self._next(
            state=SendState.TAKEN,
            lease_token=token,
            lease_expires_at=now + LEASE,
            taken_at=self.taken_at or now,
            handed_out=self.handed_out + 1,
        )

    def acknowledge(self, now: datetime, *, lease_token: str | None, sha256: str, file_name: str, try_no: int) -> Send:
        """The agent wrote the file into OutBox. Repeating it (or acknowledging a send that moved on)
        gives the send as it is; other bytes are refused, and so is a lease the send was handed out
        again under since (the agent acknowledges with the new lease when the send comes back)."""
        if sha256.lower() != self.sha256:
            raise SendRefused(
                "sha256_mismatch",
                "写入的文件与报文不符(SHA-256不同)",
                "the file written is not this message (its SHA-256 differs)",
            )
        if _RANK[self.state] >= _RANK[SendState.WRITTEN]:
            return self
        if self.state != SendState.TAKEN or lease_token != self.lease_token:
            raise SendRefused(
                "lease_lost",
                "租约已失效：该报文已再次交给代理，请以新的租约确认",
                "the lease was lost: the send was handed out again; acknowledge it with the new lease",
            )
        return self._next(
            state=SendState.WRITTEN,
            file_name=file_name,
            written_at=now,
            last_try=max(self.last_try, try_no),
            lease_token=None,
            lease_expires_at=None,
        )

    def seen(self, try_no: int, kind: str) -> bool:
        return f"{try_no}:{kind}" in self.events

    def event(self, now: datetime, kind: EventKind, try_no: int, detail: str | None = None) -> Send:
        """A file of this send reached SentBox or FailBox, or the agent gave up. Each (try, kind) once;
        an answered send only records it."""
        if not self.holds_try(try_no):
            raise SendRefused(
                "try_mismatch",
                f"第{try_no}次尝试不属于该报文(应为{self.first_try}至{self.first_try + MAX_TRIES - 1})",
                f"try {try_no} is not one of this send's ({self.first_try} to {self.first_try + MAX_TRIES - 1})",
            )
        if self.seen(try_no, kind):
            return self
        changes: dict = {"events": self.events | {f"{try_no}:{kind}"}, "last_try": max(self.last_try, try_no)}
        # a file the client moves on was written, whether or not its acknowledgement arrived first
        if self.open and kind == EventKind.SENT:
            changes |= {"state": SendState.SENT, "sent_at": now}
        elif self.open and _RANK[self.state] < _RANK[SendState.WRITTEN]:
            changes |= {"state": SendState.WRITTEN, "written_at": self.written_at or now}
        if self.open and kind in (EventKind.SEND_FAILED, EventKind.GAVE_UP):
            changes |= {"lease_token": None, "lease_expires_at": None}
        if self.open and kind == EventKind.GAVE_UP:
            changes |= self._answer_fields(now, Answer.GAVE_UP, message=detail, answered_by=f"event:{try_no}:{kind}")
        return self._next(**changes)

    def answered(
        self,
        now: datetime,
        answer: Answer,
        *,
        customs_seq_no: str | None = None,
        response_code: str | None = None,
        message: str | None = None,
        answered_by: str | None = None,
    ) -> Send:
        """Closed by its answer, once: a second answer leaves the first (the caller keeps the file)."""
        if not self.open:
            return self
        return self._next(
            **self._answer_fields(now, answer, customs_seq_no, response_code, message, answered_by),
            sent_at=self.sent_at or (now if answer in (Answer.ACCEPTED, Answer.REFUSED) else None),
        )

    def _answer_fields(
        self,
        now: datetime,
        answer: Answer,
        customs_seq_no: str | None = None,
        response_code: str | None = None,
        message: str | None = None,
        answered_by: str | None = None,
    ) -> dict:
        return {
            "state": SendState.ANSWERED,
            "answer": answer,
            "answered_at": now,
            "customs_seq_no": customs_seq_no,
            "response_code": response_code,
            "message": message,
            "answered_by": answered_by,
            "lease_token": None,
            "lease_expires_at": None,
        }

    def flag_overdue(self, now: datetime) -> Send:
        return self._next(overdue_at=now)

    def handed_out_json(self) -> dict:
        """One message of GET /agent/outbox (the XML as base64 is the caller's)."""
        return {
            "client_seq_no": self.client_seq_no,
            "send_no": self.send_no,
            "ie_flag": self.ie_flag,
            "message_version": self.message_version,
            "sha256": self.sha256,
            "lease_token": self.lease_token,
            "lease_expires_at": iso(self.lease_expires_at),
            "first_try": self.first_try,
        }


def next_send(previous: Send | None) -> tuple[int, int]:
    """(send_no, first_try) of a new send after `previous` (the ClientSeqNo's latest, answered). Each
    send owns MAX_TRIES try numbers, whether it used them or not, so a file's try names one send."""
    if previous is None:
        return 1, 1
    return previous.send_no + 1, previous.first_try + MAX_TRIES


# ---- the channel: is the agent alive, is the client sending -------------------------------------

AGENT_SILENT_AFTER = timedelta(minutes=3)  # no heartbeat this long (it beats every 30 s): silent
CLIENT_DOWN_AFTER = timedelta(minutes=5)  # a file this long in OutBox: the client is not sending
# The client takes a file from OutBox within seconds when it runs: one waiting longer than this (and
# not yet CLIENT_DOWN_AFTER) says nothing sure either way, so the state is unknown, not "sending"
CLIENT_SLOW_AFTER = timedelta(minutes=1)
FOLDERS = ("outbox", "sentbox", "failbox", "inbox", "quarantine")
CHANNEL_WORDS: dict[str, tuple[str, str]] = {
    "online": ("在线", "online"),
    "silent": ("失联", "silent"),
    "never_seen": ("从未连接", "never seen"),
    "up": ("正常发送", "sending"),
    "down": ("未在发送", "not sending"),
    "unknown": ("未知", "unknown"),
}


def agent_state(last_contact: datetime | None, now: datetime) -> str:
    """online | silent | never_seen, from the agent's last heartbeat."""
    if last_contact is None:
        return "never_seen"
    return "online" if now - last_contact < AGENT_SILENT_AFTER else "silent"


def client_state(outbox_oldest_age_seconds: float | None, reported: str | None) -> str:
    """up | down | unknown: down when a file sat in OutBox longer than CLIENT_DOWN_AFTER (the client
    needs a daily restart in practice) or the agent says so; unknown while a file has waited longer
    than CLIENT_SLOW_AFTER, whatever the agent says; up when the agent says so, or OutBox holds only
    files it just wrote."""
    age = outbox_oldest_age_seconds
    if (age is not None and age > CLIENT_DOWN_AFTER.total_seconds()) or reported == "down":
        return "down"
    if age is not None and age > CLIENT_SLOW_AFTER.total_seconds():
        return "unknown"
    if reported == "up" or age is not None:
        return "up"
    return "unknown"
