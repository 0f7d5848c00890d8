"""Large text attributes are stored compressed (adapters/packing.py), and what was stored before
packing, or is too small to pack, reads as it is."""

from __future__ import annotations

import json

from chalicelib.adapters.packing import MIN_BYTES, PREFIX, pack, unpack


def test_a_customs_message_is_stored_several_times_smaller_and_reads_back_exactly():
    xml = "<DecMessage>" + "".join(f"<DecList><GNo>{i}</GNo><GName>电子元件</GName></DecList>" for i in range(40))
    text = json.dumps({"details": {"xml": xml}}, ensure_ascii=False)

    packed = pack(text)

    assert packed.startswith(PREFIX) and len(packed) * 4 < len(text.encode())
    assert unpack(packed) == text


def test_small_values_and_values_stored_before_packing_are_plain_text():
    small = json.dumps({"gate": "claim"})
    assert len(small) < MIN_BYTES and pack(small) == small
    assert unpack(small) == small  # an item written before packing existed
    assert unpack("[]") == "[]"


def test_packing_never_makes_a_value_larger_and_always_reads_back():
    import os
    import random

    rng = random.Random(7)
    texts = [random_text(os.urandom(n)) for n in (200, 400, 2000)] + [
        "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(n)) for n in (100, 1000)
    ]
    for text in texts:
        packed = pack(text)
        assert len(packed.encode()) <= len(text.encode()) and unpack(packed) == text


def random_text(raw: bytes) -> str:
    import base64

    return base64.b85encode(raw).decode()
