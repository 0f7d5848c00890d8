"""The client's file names carry the identity: `I_<ClientSeqNo>_t-<try>.zip` (`E_` for exports) in
OutBox, SentBox and FailBox; `Successed_`/`Failed_<stem>_<time>` and receipts in InBox."""

from __future__ import annotations

import re
from dataclasses import dataclass

_OUTGOING = re.compile(r"^(?P<ie>[IE])_(?P<seq>[0-9A-Za-z]+)_t-(?P<try>[1-9][0-9]*)\.(?P<ext>zip|xml)$")
PARTIAL_SUFFIX = ".tmp"  # the client is still writing such a file
STAGING_PREFIX = "~smartdecl-"  # our own file being written, beside OutBox


@dataclass(frozen=True, order=True)
class OutgoingName:
    """One try's file: ie_flag (I/E), the ClientSeqNo, the try number."""

    ie_flag: str
    client_seq_no: str
    try_no: int

    @property
    def stem(self) -> str:
        return f"{self.ie_flag}_{self.client_seq_no}_t-{self.try_no}"

    @property
    def zip_name(self) -> str:
        return f"{self.stem}.zip"

    @property
    def xml_name(self) -> str:
        return f"{self.stem}.xml"

    def next_try(self) -> OutgoingName:
        return OutgoingName(self.ie_flag, self.client_seq_no, self.try_no + 1)


def parse_outgoing(file_name: str) -> OutgoingName | None:
    """The identity in an OutBox-style name, or None for any other file."""
    found = _OUTGOING.match(file_name)
    if not found:
        return None
    return OutgoingName(found["ie"], found["seq"], int(found["try"]))


def is_partial(file_name: str) -> bool:
    """A file someone is still writing: the client's `.tmp`, or our own staging file."""
    return file_name.lower().endswith(PARTIAL_SUFFIX) or file_name.startswith(STAGING_PREFIX)
