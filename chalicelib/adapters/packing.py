"""Large text attributes stored compressed ("compress large attribute values", DynamoDB's
best practices for large items).

DynamoDB charges a write by the whole item, per KB, and a log line's index copy again. What makes
items large here is text that compresses well: the customs XML on the submission's log line, the
events a log line carries to the stream, a receipt with its raw XML, a declaration's content.

Written as Binary: the zlib bytes themselves (dynamo_models.PackedTextAttribute). DynamoDB counts a
Binary value by its bytes, so nothing is added to them; the Base85 text used before added a quarter,
which kept the log line of a declaration's submission or receipt, with its events, over the 1 KB a
write unit covers.

Read as well, for items written before: a String holding either plain text, or Base85 of the zlib
bytes marked by PREFIX (plain values are JSON, which never starts with the prefix).
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Mapping
from typing import Any

PREFIX = "z1:"


def compress(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 9)


def decompress(value: bytes) -> str:
    return zlib.decompress(value).decode("utf-8")


def unpack(value: str) -> str:
    """A String written before values were Binary: Base85-packed, or plain."""
    if value.startswith(PREFIX):
        return decompress(base64.b85decode(value[len(PREFIX) :]))
    return value


def text_of(value: Mapping[str, Any]) -> str:
    """The text of an attribute in DynamoDB's JSON form: a Binary (bytes from botocore, Base64 in a
    Lambda stream event) or a String written before."""
    if "B" in value:
        raw = value["B"]
        return decompress(base64.b64decode(raw) if isinstance(raw, str) else bytes(raw))
    return unpack(value["S"])
