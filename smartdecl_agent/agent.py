"""The agent's loop: take messages from the service and write them into OutBox (journal first, then
a temporary file, then a rename), acknowledge them, watch SentBox and FailBox (retry the client's way,
three tries at most), forward every InBox file and archive it after a 2xx, and tell the service it is
alive. Each step is recorded before it is taken, so a restarted agent finishes what the journal says
and repeats nothing the service has not seen (docs/customs-channel.md, "Exactly once")."""

from __future__ import annotations

import logging
import os
import platform
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from smartdecl_client import ApiError, Unreachable

from . import __version__
from .folders import Folders, move_into
from .journal import (
    FAILED,
    FAILED_SEEN,
    GAVE_UP,
    HANDED,
    SENT,
    SENT_SEEN,
    WRITING,
    WRITTEN,
    Journal,
    Try,
)
from .names import OutgoingName
from .package import UnreadableZip, build_zip, read_message, sha256
from .service import BadMessage, ExchangeApi, OutboxMessage, UnreadableFile
from .settings import AgentSettings

log = logging.getLogger("smartdecl.agent")

# Where a test's fault hook may stop the agent, in the order of the steps (each is "just after …").
FAULT_POINTS = (
    "taken",  # the outbox answered, nothing recorded
    "journaled",  # the try recorded as `writing`, no file yet
    "staged",  # the zip written under its temporary name
    "renamed",  # the zip renamed into OutBox, the journal still says `writing`
    "marked_written",  # the journal says `written`, not acknowledged
    "acknowledged",  # the service answered the acknowledgement, the journal still says `written`
    "sent_seen",  # a zip seen in SentBox and recorded, not reported
    "sent_reported",  # `sent` reported, the journal still says `sent_seen`
    "failed_seen",  # a zip seen in FailBox and recorded, not reported
    "failure_reported",  # `send_failed`/`gave_up` reported, the journal still says `failed_seen`
    "next_try_journaled",  # the next try recorded as `writing`
    "failure_archived",  # the failed zip moved to the archive, the journal does not say so yet
    "forwarded",  # an InBox file forwarded (2xx), still in InBox
    "quarantined",  # an unreadable InBox file moved to quarantine
)

ServiceTrouble = (Unreachable, ApiError)


def local_now() -> datetime:
    return datetime.now().astimezone()


def no_fault(point: str) -> None:
    return None


@dataclass
class Agent:
    settings: AgentSettings
    api: ExchangeApi
    journal: Journal
    folders: Folders
    clock: Callable[[], datetime] = local_now
    fault: Callable[[str], None] = no_fault
    started_at: datetime = field(default_factory=local_now)
    take_seconds: float = 0.0
    client_state: str = "unknown"
    service_reachable: bool = True
    durable: bool = True  # fsync each zip before its rename (tests turn it off with the journal's)
    _troubles: dict[str, str] = field(default_factory=dict)  # part of the pass → its last trouble, logged once

    def __post_init__(self) -> None:
        self.take_seconds = self.take_seconds or self.settings.take_seconds

    @classmethod
    def open(cls, settings: AgentSettings, **options: Any) -> Agent:
        folders = Folders.at(settings.root, settings.state_dir, settings.kind)
        folders.ensure_own()
        api = options.pop("api", None) or ExchangeApi.connect(settings.url, settings.credential)
        return cls(settings, api, Journal(folders.journal), folders, **options)

    # ---- the loop ---------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Until `stop` is set: the folders every scan_seconds (polling, which works on a Windows
        share too), the outbox every take_seconds, a heartbeat every heartbeat_seconds."""
        log.info("agent %s started: root %s, service %s", __version__, self.settings.root, self.settings.url)
        try:
            self._loop(stop)
        except KeyboardInterrupt:  # Ctrl-C, or a service wrapper stopping the console program
            log.info("stopping on Ctrl-C; whatever was half done is finished at the next start")
        finally:
            log.info("agent stopped")

    def _loop(self, stop: threading.Event) -> None:
        next_take = next_beat = 0.0
        while not stop.is_set():
            now = time.monotonic()
            take, beat = now >= next_take, now >= next_beat
            try:
                self.step(take=take, beat=beat)
            except Exception:  # a program on someone's PC logs and carries on
                log.exception("unexpected error; the next scan tries again")
            if take:
                next_take = now + self.take_seconds
            if beat:
                next_beat = now + self.settings.heartbeat_seconds
            stop.wait(self.settings.scan_seconds)

    def step(self, *, take: bool = True, beat: bool = False) -> None:
        """One pass: finish what the journal left, watch the client's folders, take new messages,
        forward InBox; each part on its own, so the service being away stops none of the file work."""
        self._guarded("resume", self.resume)
        self._guarded("watch", self.watch_client)
        if take:
            self._guarded("take", self.take)
        self._guarded("inbox", self.forward_inbox)
        if beat:
            self._guarded("heartbeat", self.heartbeat)

    def _guarded(self, what: str, part: Callable[[], object]) -> None:
        """One part of a pass; trouble is logged when it starts or changes, not at every scan (a
        revoked credential would otherwise fill the log every two seconds)."""
        try:
            part()
        except Unreachable as exc:
            if self.service_reachable:
                log.warning("service unreachable (%s): %s; files wait, nothing is lost", what, exc)
            self.service_reachable = False
            return
        except ApiError as exc:
            self._trouble(what, f"service refused ({what}): {exc.status} {exc.code}: {exc.message_en}")
        except OSError as exc:
            self._trouble(what, f"file trouble ({what}): {exc}; tried again at the next scan")
            return  # says nothing of the service
        else:
            if self._troubles.pop(what, None):
                log.info("%s works again", what)
        if not self.service_reachable:
            log.info("service reachable again")
            self.service_reachable = True

    def _trouble(self, what: str, message: str) -> None:
        if self._troubles.get(what) != message:
            log.error("%s", message)
        self._troubles[what] = message

    # ---- write ahead: take, record, write, rename, acknowledge --------------------------------

    def take(self) -> None:
        for taken in self.api.take(self.settings.take_max):
            if isinstance(taken, BadMessage):
                log.error("outbox: %s; not written (the lease runs out, a person should look)", taken)
                continue
            self.fault("taken")
            self._take_one(taken)

    def _take_one(self, message: OutboxMessage) -> None:
        name = OutgoingName(message.ie_flag, message.client_seq_no, message.first_try)
        entry = self.journal.get(name.zip_name)
        if entry is None:
            if not self._first_sight(name, message):
                return
            entry = self.journal.record(
                name,
                send_no=message.send_no,
                first_try=message.first_try,
                sha256=message.sha256,
                message=message.message,
                lease_token=message.lease_token,
                now=self.clock(),
            )
            self.fault("journaled")
        elif entry.sha256 != message.sha256 or entry.send_no != message.send_no:
            log.error(
                "%s: the journal holds another message under this name (send %s, sha256 %s…); not written",
                name.zip_name,
                entry.send_no,
                entry.sha256[:12],
            )
            return
        if entry.state == WRITING:
            entry = self._finish_write(entry)
        # written, or further along (the acknowledgement's answer was lost): acknowledge with this lease
        self._acknowledge(entry, message.lease_token)

    def _first_sight(self, name: OutgoingName, message: OutboxMessage) -> bool:
        """Before recording a new try: files of this ClientSeqNo from this send on must not exist
        unless they are this very file (a journal lost or restored); False when it must not be written."""
        for other in self.journal.of_seq_no(name.client_seq_no):
            if other.name.try_no >= name.try_no:
                log.error(
                    "%s: the journal already has %s of send %s; not written", name, other.file_name, other.send_no
                )
                return False
        for path, found in self.folders.tries_of(name.client_seq_no).items():
            if found.try_no < name.try_no:
                continue  # an earlier send's files: expected
            if found == name and _message_sha(path) == message.sha256:
                log.warning("%s: already in %s though not in the journal; recorded as written", name, path.parent)
                continue  # the same bytes: _finish_write finds it and writes nothing
            log.error("%s: %s exists already; not written (a repeat would be a second file)", name.zip_name, path)
            return False
        return True

    def _finish_write(self, entry: Try) -> Try:
        """`writing` → `written`: the same bytes under the same name, unless the file is there already."""
        for folder in (self.folders.outbox, self.folders.sentbox, self.folders.failbox):
            existing = folder / entry.file_name
            if existing.exists():
                if _message_sha(existing) != entry.sha256:
                    raise OSError(f"{existing} holds another message than the journal's; a person must look")
                self.journal.move(entry.file_name, WRITTEN, self.clock())
                return self._reload(entry)
        data = build_zip(entry.message, entry.name, entry.recorded_at)
        staging = self.folders.staging(entry.name)
        if not self.folders.outbox.is_dir():  # the client makes its folders; never the agent (a wrong root)
            raise FileNotFoundError(f"{self.folders.outbox} is missing: is the root the client's? (agent doctor)")
        with open(staging, "wb") as out:
            out.write(data)
            out.flush()
            if self.durable:  # on disk before the rename makes it visible to the client
                os.fsync(out.fileno())
        self.fault("staged")
        os.replace(staging, self.folders.outbox / entry.file_name)
        self.fault("renamed")
        self.journal.move(entry.file_name, WRITTEN, self.clock())
        self.fault("marked_written")
        log.info("%s written into OutBox (send %s)", entry.file_name, entry.send_no)
        return self._reload(entry)

    def _acknowledge(self, entry: Try, lease_token: str | None) -> None:
        """A send's first file is acknowledged as written; a next try just moves on to `handed`."""
        if entry.is_first_of_send:
            try:
                self.api.written(
                    entry.name.client_seq_no,
                    entry.send_no,
                    lease_token=lease_token,
                    file_name=entry.file_name,
                    sha=entry.sha256,
                    try_no=entry.name.try_no,
                )
            except ApiError as exc:
                if exc.status == 409 and exc.code == "lease_lost":  # acknowledged when it comes back, newly leased
                    log.info("%s: %s; acknowledged at the next take", entry.file_name, exc.code)
                    return
                raise
            self.fault("acknowledged")
        if entry.state == WRITTEN:
            self.journal.move(entry.file_name, HANDED, self.clock(), lease_token=lease_token)

    # ---- the client's answers: SentBox, FailBox --------------------------------------------

    def watch_client(self) -> None:
        """The files handed to the client that it has moved since. SentBox keeps every file the client
        ever sent, so the journal's handed files are looked up among its names, not the other way."""
        handed = {entry.file_name: entry for entry in self.journal.in_state(HANDED)}
        if not handed:
            return
        for name in sorted(self.folders.names(self.folders.sentbox) & handed.keys()):
            self.journal.move(name, SENT_SEEN, self.clock())
            self.fault("sent_seen")
            self._report_sent(self._reload(handed[name]))
        for name in sorted(self.folders.names(self.folders.failbox) & handed.keys()):
            self.journal.move(name, FAILED_SEEN, self.clock())
            self.fault("failed_seen")
            self._report_failure(self._reload(handed[name]))

    def _report_sent(self, entry: Try) -> None:
        self.api.event(
            entry.name.client_seq_no,
            entry.send_no,
            kind="sent",
            try_no=entry.name.try_no,
            file_name=entry.file_name,
            at=self.clock(),
        )
        self.fault("sent_reported")
        self.journal.move(entry.file_name, SENT, self.clock())
        log.info("%s sent by the client", entry.file_name)

    def _report_failure(self, entry: Try) -> None:
        last = entry.tries_used >= self.settings.max_tries
        kind = "gave_up" if last else "send_failed"
        detail = f"the client could not send try {entry.name.try_no}" + (
            f"; {entry.tries_used} tries, the agent gives up" if last else ""
        )
        self.api.event(
            entry.name.client_seq_no,
            entry.send_no,
            kind=kind,
            try_no=entry.name.try_no,
            file_name=entry.file_name,
            at=self.clock(),
            detail=detail,
        )
        self.fault("failure_reported")
        self.journal.move(entry.file_name, GAVE_UP if last else FAILED, self.clock())
        (log.error if last else log.warning)("%s: %s", entry.file_name, detail)
        self._after_failure(self._reload(entry))

    def _after_failure(self, entry: Try) -> None:
        """A failed try: its next try written (unless it gave up), then the failed zip archived."""
        if entry.state == FAILED:
            following = entry.name.next_try()
            upcoming = self.journal.get(following.zip_name)
            if upcoming is None:
                upcoming = self.journal.record(
                    following,
                    send_no=entry.send_no,
                    first_try=entry.first_try,
                    sha256=entry.sha256,
                    message=entry.message,
                    lease_token=None,
                    now=self.clock(),
                )
                self.fault("next_try_journaled")
            if upcoming.state == WRITING:
                upcoming = self._finish_write(upcoming)
            if upcoming.state == WRITTEN:
                self._acknowledge(upcoming, None)
        failed = self.folders.failbox / entry.file_name
        if failed.exists():
            move_into(failed, self.folders.archive(self.clock().date()))
            self.fault("failure_archived")
        self.journal.mark_archived(entry.file_name, self.clock())

    # ---- after a restart: what the journal left unfinished ------------------------------------

    def resume(self) -> None:
        for entry in self.journal.in_state(WRITING):
            self._finish_write(entry)
        for entry in self.journal.in_state(WRITTEN):
            self._acknowledge(entry, entry.lease_token)
        for entry in self.journal.in_state(SENT_SEEN):
            self._report_sent(entry)
        for entry in self.journal.in_state(FAILED_SEEN):
            self._report_failure(entry)
        for entry in self.journal.unarchived_failures():
            self._after_failure(entry)

    # ---- InBox ----------------------------------------------------------------------------

    def forward_inbox(self) -> None:
        for path in self.folders.files(self.folders.inbox):
            try:
                self._forward(path)
            except OSError as exc:  # held open by the client a moment longer (Windows): the others go on
                log.warning("%s: %s; tried again at the next scan", path.name, exc)

    def _forward(self, path: Path) -> None:
        data = path.read_bytes()
        digest = sha256(data)
        try:
            answer = self.api.inbox(path.name, data, digest)
        except UnreadableFile as exc:
            kept = move_into(path, self.folders.quarantine)
            self.fault("quarantined")
            self.journal.note_inbox(path.name, digest, {"outcome": "quarantined"}, self.clock(), str(kept))
            log.error("%s: the service cannot read it (%s); kept in %s", path.name, exc, kept)
            return
        self.fault("forwarded")
        # the first answer is kept (a repeat after a crash answers `duplicate`), then the file moves
        self.journal.note_inbox(path.name, digest, answer, self.clock())
        kept = move_into(path, self.folders.archive(self.clock().date()))
        log.info("%s forwarded: %s %s → %s", path.name, answer.get("kind"), answer.get("outcome"), kept.parent.name)

    # ---- heartbeat ------------------------------------------------------------------------

    def heartbeat(self) -> dict[str, Any]:
        """Tells the service the agent is alive and how the folders look; its answer."""
        now = self.clock()
        stamp = now.timestamp()
        f = self.folders
        states = {
            "outbox": f.state(f.outbox, stamp),
            "sentbox": f.state(f.sentbox, stamp),
            "failbox": f.state(f.failbox, stamp),
            "inbox": f.state(f.inbox, stamp),
            "quarantine": f.state(f.quarantine, stamp),
        }
        client = self.judge_client(states["outbox"].oldest_age_seconds)
        answer = self.api.heartbeat(
            {
                "agent_version": __version__,
                "hostname": platform.node(),
                "started_at": self.started_at.isoformat(),
                "clock": now.isoformat(),
                "folders": {k: v.as_dict() for k, v in states.items()},
                "client": client,
                "journal": {"unacknowledged": self.journal.count(WRITTEN)},
            }
        )
        poll = answer.get("poll_seconds")
        if isinstance(poll, (int, float)) and not isinstance(poll, bool) and poll > 0:
            self.take_seconds = min(max(float(poll), 1.0), 300.0)
        skew = clock_skew(answer.get("server_time"), now)
        if skew is not None and abs(skew) > self.settings.clock_skew_warn_seconds:
            log.warning("this PC's clock is %+.0f s off the service's: set the time (w32tm /resync)", skew)
        return answer

    def judge_client(self, oldest_outbox_age: int | None) -> str:
        if not self.folders.outbox.is_dir():
            judged = "unknown"
        elif oldest_outbox_age is not None and oldest_outbox_age >= self.settings.client_down_seconds:
            judged = "down"
        elif oldest_outbox_age is not None and oldest_outbox_age >= self.settings.client_slow_seconds:
            judged = "unknown"  # the client takes a file in seconds when it runs: not sure either way
        else:
            judged = "up"
        if judged != self.client_state:
            (log.warning if judged == "down" else log.info)(
                "the Single Window client looks %s%s",
                judged,
                " (files wait in OutBox: restart the client, check the card)" if judged == "down" else "",
            )
            self.client_state = judged
        return judged

    def _reload(self, entry: Try) -> Try:
        found = self.journal.get(entry.file_name)
        assert found is not None
        return found


def clock_skew(server_time: Any, now: datetime) -> float | None:
    """This PC's clock minus the service's, in seconds; None when the service said no time."""
    if not isinstance(server_time, str):
        return None
    try:
        theirs = datetime.fromisoformat(server_time.replace("Z", "+00:00"))
    except ValueError:
        return None
    if theirs.tzinfo is None:
        return None
    return (now - theirs).total_seconds()


def _message_sha(path: Path) -> str | None:
    try:
        return sha256(read_message(path))
    except (UnreadableZip, OSError):
        return None
