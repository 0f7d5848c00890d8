"""The agent's journal (SQLite): what it is about to do is recorded before it is done, one
transaction per step, so a restarted agent finishes or skips each step and never writes a file twice.

A try's file goes through these states (docs/customs-channel.md, "Exactly once"):

    writing ─► written ─► handed ─┬─► sent_seen ─► sent
       (a send's first try is acknowledged between written and handed; a next try is not)
                                  └─► failed_seen ─► failed   (send_failed reported; a next try follows)
                                                 └─► gave_up  (the last try: gave_up reported)

`failed` and `gave_up` files are then moved from FailBox to the archive (`archived`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .names import OutgoingName

WRITING, WRITTEN, HANDED = "writing", "written", "handed"
SENT_SEEN, SENT = "sent_seen", "sent"
FAILED_SEEN, FAILED, GAVE_UP = "failed_seen", "failed", "gave_up"
STATES = (WRITING, WRITTEN, HANDED, SENT_SEEN, SENT, FAILED_SEEN, FAILED, GAVE_UP)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tries (
    file_name     TEXT PRIMARY KEY,
    ie_flag       TEXT NOT NULL,
    client_seq_no TEXT NOT NULL,
    try_no        INTEGER NOT NULL,
    send_no       INTEGER NOT NULL,
    first_try     INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    message       BLOB NOT NULL,
    lease_token   TEXT,
    state         TEXT NOT NULL,
    archived      INTEGER NOT NULL DEFAULT 0,
    recorded_at   TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (client_seq_no, try_no)
);
CREATE INDEX IF NOT EXISTS tries_by_state ON tries (state, archived);
CREATE TABLE IF NOT EXISTS inbox (
    file_name    TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    kind         TEXT,
    receipt_id   TEXT,
    seq_no       TEXT,
    handled_at   TEXT NOT NULL,
    kept_as      TEXT,
    PRIMARY KEY (file_name, sha256)
);
"""


# A try whose message's bytes are no longer needed: sent, given up, or failed with its zip archived
# (its next try, if any, journaled with the bytes first). The journal keeps the bytes only while a
# try may still have to be written (writing; a failed try's next one) or the client holds the file;
# afterwards its SHA-256 and name remain (docs/customs-channel.md, "At rest").
_DONE = f"(state IN ('{SENT}', '{GAVE_UP}') OR archived = 1)"


@dataclass(frozen=True)
class Try:
    name: OutgoingName
    send_no: int
    first_try: int
    sha256: str
    message: bytes
    lease_token: str | None
    state: str
    archived: bool
    recorded_at: datetime

    @property
    def file_name(self) -> str:
        return self.name.zip_name

    @property
    def is_first_of_send(self) -> bool:
        return self.name.try_no == self.first_try

    @property
    def tries_used(self) -> int:
        """How many files this send has had, this one included."""
        return self.name.try_no - self.first_try + 1


class Journal:
    """One SQLite file in the agent's state folder; every change is its own transaction."""

    def __init__(self, path: Path, *, durable: bool = True) -> None:
        """`durable=False` (tests only) skips the disk syncs: a test kills the process, not the power."""
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: autocommit, and each `with self._tx()` is one explicit transaction
        # check_same_thread off: one thread at a time uses it (the loop may run in a service wrapper's thread)
        self._db = sqlite3.connect(str(path), isolation_level=None, timeout=30, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        # the default rollback journal, not WAL: WAL needs shared memory, which a Windows share lacks;
        # synchronous=FULL: a committed step is on disk before the agent takes the next one
        self._db.execute("PRAGMA synchronous=FULL" if durable else "PRAGMA synchronous=OFF")
        # a message's bytes, once dropped, are overwritten in the file, not left in its free pages
        # (SQLite's own default is off; Debian's build turns it on, not every build does)
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.executescript(_SCHEMA)
        with self._tx() as db:  # a journal of an earlier version kept every message: drop the ones done
            db.execute(f"UPDATE tries SET message = x'' WHERE {_DONE} AND length(message) > 0")

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ---- tries ----------------------------------------------------------------------------

    def record(
        self,
        name: OutgoingName,
        *,
        send_no: int,
        first_try: int,
        sha256: str,
        message: bytes,
        lease_token: str | None,
        now: datetime,
    ) -> Try:
        """Write ahead: the try about to be written (state `writing`). Recording it twice is a no-op."""
        stamp = now.isoformat()
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO tries (file_name, ie_flag, client_seq_no, try_no, send_no, first_try, sha256,"
                " message, lease_token, state, recorded_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    name.zip_name,
                    name.ie_flag,
                    name.client_seq_no,
                    name.try_no,
                    send_no,
                    first_try,
                    sha256,
                    message,
                    lease_token,
                    WRITING,
                    stamp,
                    stamp,
                ),
            )
        found = self.get(name.zip_name)
        assert found is not None
        return found

    def get(self, file_name: str) -> Try | None:
        row = self._db.execute("SELECT * FROM tries WHERE file_name = ?", (file_name,)).fetchone()
        return _try(row) if row else None

    def of_seq_no(self, client_seq_no: str) -> list[Try]:
        rows = self._db.execute(
            "SELECT * FROM tries WHERE client_seq_no = ? ORDER BY try_no", (client_seq_no,)
        ).fetchall()
        return [_try(r) for r in rows]

    def in_state(self, *states: str) -> list[Try]:
        marks = ",".join("?" * len(states))
        rows = self._db.execute(
            f"SELECT * FROM tries WHERE state IN ({marks}) ORDER BY recorded_at, file_name", states
        ).fetchall()
        return [_try(r) for r in rows]

    def unarchived_failures(self) -> list[Try]:
        rows = self._db.execute(
            "SELECT * FROM tries WHERE state IN (?, ?) AND archived = 0 ORDER BY recorded_at, file_name",
            (FAILED, GAVE_UP),
        ).fetchall()
        return [_try(r) for r in rows]

    def move(self, file_name: str, to: str, now: datetime, *, lease_token: str | None = None) -> None:
        with self._tx() as db:
            if lease_token is not None:
                db.execute(
                    "UPDATE tries SET state = ?, lease_token = ?, updated_at = ? WHERE file_name = ?",
                    (to, lease_token, now.isoformat(), file_name),
                )
            else:
                db.execute(
                    "UPDATE tries SET state = ?, updated_at = ? WHERE file_name = ?", (to, now.isoformat(), file_name)
                )
            db.execute(f"UPDATE tries SET message = x'' WHERE file_name = ? AND {_DONE}", (file_name,))

    def mark_archived(self, file_name: str, now: datetime) -> None:
        """The failed try's zip is in the archive, and its next try (if any) journaled with the bytes:
        its own copy is dropped."""
        with self._tx() as db:
            db.execute(
                "UPDATE tries SET archived = 1, message = x'', updated_at = ? WHERE file_name = ?",
                (now.isoformat(), file_name),
            )

    def count(self, *states: str) -> int:
        marks = ",".join("?" * len(states))
        return int(self._db.execute(f"SELECT COUNT(*) FROM tries WHERE state IN ({marks})", states).fetchone()[0])

    def counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT state, COUNT(*) FROM tries GROUP BY state").fetchall()
        return {state: int(n) for state, n in rows}

    # ---- InBox ----------------------------------------------------------------------------

    def note_inbox(self, file_name: str, sha256: str, answer: dict, now: datetime, kept_as: str | None = None) -> None:
        """What the service said of an InBox file (or that it was quarantined): for doctor and people."""
        with self._tx() as db:
            db.execute(
                # the first answer stays: a repeat after a crash answers `duplicate`, which says less
                "INSERT OR IGNORE INTO inbox (file_name, sha256, outcome, kind, receipt_id, seq_no, handled_at,"
                " kept_as) VALUES (?,?,?,?,?,?,?,?)",
                (
                    file_name,
                    sha256,
                    str(answer.get("outcome") or ""),
                    answer.get("kind"),
                    answer.get("receipt_id"),
                    answer.get("seq_no"),
                    now.isoformat(),
                    kept_as,
                ),
            )

    def inbox_outcomes(self) -> dict[str, int]:
        rows = self._db.execute("SELECT outcome, COUNT(*) FROM inbox GROUP BY outcome").fetchall()
        return {outcome: int(n) for outcome, n in rows}


def _try(row: sqlite3.Row) -> Try:
    return Try(
        name=OutgoingName(row["ie_flag"], row["client_seq_no"], int(row["try_no"])),
        send_no=int(row["send_no"]),
        first_try=int(row["first_try"]),
        sha256=row["sha256"],
        message=bytes(row["message"]),
        lease_token=row["lease_token"],
        state=row["state"],
        archived=bool(row["archived"]),
        recorded_at=datetime.fromisoformat(row["recorded_at"]),
    )
