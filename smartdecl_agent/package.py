"""The zip the client takes: one entry, the DecMessage XML named for the try. Built the same way
every time from the same inputs, so a write finished after a crash has the same bytes."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import datetime
from pathlib import Path

from .names import OutgoingName


class UnreadableZip(Exception):
    """A file in the client's folders that is not one of our zips."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_zip(message: bytes, name: OutgoingName, stamped: datetime) -> bytes:
    """`stamped` is the entry's date (the journal's record time): fixed, so the bytes are too."""
    entry = zipfile.ZipInfo(name.xml_name, date_time=stamped.timetuple()[:6])
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(entry, message)
    return buffer.getvalue()


def read_message(path: Path) -> bytes:
    """The XML inside one of our zips."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".xml")]
            if len(names) != 1:
                raise UnreadableZip(f"{path.name}: {len(names)} XML entries, expected one")
            return archive.read(names[0])
    except (zipfile.BadZipFile, KeyError) as exc:
        raise UnreadableZip(f"{path.name}: {exc}") from exc
