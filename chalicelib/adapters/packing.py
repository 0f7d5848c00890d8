"""Large text attributes stored compressed ("compress large attribute values", DynamoDB's
best practices for large items).

DynamoDB charges a write by the whole item, per KB, and a log line's index copy again. What makes
items large here is text that compresses well: the customs XML on the submission's log line, the
events a log line carries to the stream, a receipt with its raw XML (4–6× smaller compressed).

Packed: zlib, then Base85 (a quarter larger than the bytes; Base64 is a third, and the line of a
customs receipt fell just over the 1 KB a write unit covers). A packed value is marked by its
prefix; any other value is plain text, so items written before packing, and small values (not
worth making unreadable in the console), read as they are.
Plain values here are JSON, which never starts with the prefix.
"""

from __future__ import annotations

import base64
import zlib

PREFIX = "z1:"
MIN_BYTES = 256  # below this, compressing saves too little to be worth an unreadable attribute


def pack(text: str) -> str:
    raw = text.encode("utf-8")
    if len(raw) < MIN_BYTES:
        return text
    packed = PREFIX + base64.b85encode(zlib.compress(raw, 9)).decode("ascii")
    return packed if len(packed) < len(raw) else text


def unpack(value: str) -> str:
    if value.startswith(PREFIX):
        return zlib.decompress(base64.b85decode(value[len(PREFIX) :])).decode("utf-8")
    return value
