"""The client's folder tree for one message kind (`<root>/Deccus001/{OutBox,SentBox,FailBox,InBox}`)
and the agent's own beside it (`<root>/smartdecl/`: journal, archive, quarantine, logs).

Only pathlib and `os.replace`, which renames atomically on Windows (NTFS, SMB shares) as on POSIX;
nothing here needs fcntl or signals."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .names import OutgoingName, is_partial, parse_outgoing

DECLARATIONS = "Deccus001"
CLIENT_FOLDERS = ("OutBox", "SentBox", "FailBox", "InBox")


@dataclass(frozen=True)
class FolderState:
    count: int
    oldest_age_seconds: int | None

    def as_dict(self) -> dict[str, int | None]:
        return {"count": self.count, "oldest_age_seconds": self.oldest_age_seconds}


@dataclass(frozen=True)
class Folders:
    root: Path
    state_dir: Path
    kind: str = DECLARATIONS

    @classmethod
    def at(cls, root: Path, state_dir: Path | None = None, kind: str = DECLARATIONS) -> Folders:
        return cls(Path(root), Path(state_dir) if state_dir else Path(root) / "smartdecl", kind)

    # ---- the client's ---------------------------------------------------------------------

    @property
    def kind_dir(self) -> Path:
        return self.root / self.kind

    @property
    def outbox(self) -> Path:
        return self.kind_dir / "OutBox"

    @property
    def sentbox(self) -> Path:
        return self.kind_dir / "SentBox"

    @property
    def failbox(self) -> Path:
        return self.kind_dir / "FailBox"

    @property
    def inbox(self) -> Path:
        return self.kind_dir / "InBox"

    def client_folders(self) -> dict[str, Path]:
        return {name: self.kind_dir / name for name in CLIENT_FOLDERS}

    def staging(self, name: OutgoingName) -> Path:
        """Where a zip is written before its rename into OutBox: OutBox's parent, the same volume,
        and a folder the client does not read."""
        return self.kind_dir / f"~smartdecl-{name.zip_name}.part"

    # ---- the agent's ----------------------------------------------------------------------

    @property
    def journal(self) -> Path:
        return self.state_dir / "journal.sqlite3"

    @property
    def quarantine(self) -> Path:
        return self.state_dir / "quarantine"

    @property
    def logs(self) -> Path:
        return self.state_dir / "logs"

    @property
    def archive_root(self) -> Path:
        return self.state_dir / "archive"

    def archive(self, day: date) -> Path:
        return self.archive_root / day.isoformat()

    def ensure_own(self) -> None:
        for folder in (self.state_dir, self.quarantine, self.logs, self.archive_root):
            folder.mkdir(parents=True, exist_ok=True)

    # ---- reading --------------------------------------------------------------------------

    def files(self, folder: Path) -> list[Path]:
        """The finished files of a folder, oldest first (then by name); none while it is missing."""
        try:
            entries = [p for p in folder.iterdir() if not is_partial(p.name) and p.is_file()]
        except FileNotFoundError:
            return []
        return sorted(entries, key=lambda p: (_mtime(p), p.name))

    def names(self, folder: Path) -> set[str]:
        """The names in a folder, cheaply (no stat per file: SentBox grows for months)."""
        try:
            return set(os.listdir(folder))
        except FileNotFoundError:
            return set()

    def tries_of(self, client_seq_no: str) -> dict[Path, OutgoingName]:
        """Every file of one ClientSeqNo the agent or the client still has: OutBox, SentBox, FailBox
        and the archive. File names carry the identity, so a repeat is seen, not assumed away."""
        found: dict[Path, OutgoingName] = {}
        places = [self.outbox, self.sentbox, self.failbox]
        if self.archive_root.is_dir():
            places += sorted(p for p in self.archive_root.iterdir() if p.is_dir())
        for folder in places:
            for path in _glob(folder, f"?_{client_seq_no}_t-*.zip"):
                name = parse_outgoing(path.name)
                if name is not None and name.client_seq_no == client_seq_no:
                    found[path] = name
        return found

    def state(self, folder: Path, now_timestamp: float) -> FolderState:
        files = self.files(folder)
        if not files:
            return FolderState(0, None)
        return FolderState(len(files), max(0, int(now_timestamp - _mtime(files[0]))))


def move_into(path: Path, folder: Path) -> Path:
    """`path` into `folder` under its own name, or `name~2`, `name~3` … when that is taken: an
    archive never overwrites what it kept. One rename (same volume)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{path.name}~{n}"
    os.replace(path, target)
    return target


def same_volume(a: Path, b: Path) -> bool:
    """os.stat's st_dev is the volume (its serial number on Windows): a rename needs one volume."""
    return os.stat(a).st_dev == os.stat(b).st_dev


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # moved away while we looked (the client is quick)
        return 0.0


def _glob(folder: Path, pattern: str) -> list[Path]:
    try:
        return list(folder.glob(pattern))
    except OSError:
        return []
