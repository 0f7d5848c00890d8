"""A matched receipt is stored and applied in one write; delivered twice it applies once."""

from __future__ import annotations

import hashlib
import hmac

from chalicelib.services.receipts import ingest_receipts
from tests.engine_harness import Harness
from tests.factories import RECEIPT_SECRET

ENTRY_ID = "010120241000000042"


def dec_result(client_seq_no: str, channel: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><DEC_RESULT><CUS_CIQ_NO>I20249000000000001</CUS_CIQ_NO>'
        f"<ENTRY_ID>{ENTRY_ID}</ENTRY_ID><NOTICE_DATE>2024-03-21T11:07:21</NOTICE_DATE><CHANNEL>{channel}</CHANNEL>"
        f"<NOTE>回执</NOTE><CUSTOM_MASTER>0101</CUSTOM_MASTER><I_E_DATE/><D_DATE>2024-03-21T11:07:21</D_DATE>"
        f"<CLIENT_SEQ_NO>{client_seq_no}</CLIENT_SEQ_NO></DEC_RESULT>"
    ).encode()


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(RECEIPT_SECRET.encode(), body, hashlib.sha256).hexdigest()


class UnusedReceipts:
    """The receipt repository's separate writes: a matched receipt must not need them."""

    def __init__(self) -> None:
        self.added: list[str] = []

    def add(self, receipt_id, body, seq_no, received_at):
        self.added.append(receipt_id)
        return None

    def mark_applied(self, receipt_id):
        raise AssertionError("a matched receipt is marked applied in its change's own write")


def declared_harness() -> tuple[Harness, str]:
    h = Harness()
    h.start(h.config())  # before marking: the first batch finds nothing, the next one claims
    [seq_no] = h.declarations_marked(1)
    h.wait_and_run()
    assert h.declarations.get(seq_no).declared_at is not None, "the declaration was not declared"
    return h, seq_no


def receipt_entries(h: Harness, seq_no: str) -> list:
    return [e for e in h.log.list(seq_no) if e.gate == "receipt"]


def test_a_matched_receipt_is_stored_marked_and_applied_in_one_write():
    # Given a declared declaration
    h, seq_no = declared_harness()
    receipts, requests = UnusedReceipts(), h.uow.requests
    # When its L receipt arrives
    body = dec_result(seq_no, "L")
    result = ingest_receipts(body, sign(body), RECEIPT_SECRET, h.engine, receipts)
    # Then one write applied it and kept it as applied, with nothing written apart
    assert (result["applied"], result["duplicates"]) == (1, 0)
    assert h.uow.requests - requests == 1
    assert receipts.added == []
    [stored] = h.uow.receipts.values()
    assert (stored["seq_no"], stored["applied"]) == (seq_no, True)
    assert h.declarations.get(seq_no).receipt_channel == "L"


def test_a_receipt_delivered_twice_applies_once():
    # Given a receipt already applied
    h, seq_no = declared_harness()
    body = dec_result(seq_no, "L")
    ingest_receipts(body, sign(body), RECEIPT_SECRET, h.engine, UnusedReceipts())
    version, events = h.declarations.get(seq_no).version, len(h.uow.events)
    # When customs delivers it again
    again = ingest_receipts(body, sign(body), RECEIPT_SECRET, h.engine, UnusedReceipts())
    # Then it is a duplicate: no change, no second log line, no second event
    assert (again["applied"], again["duplicates"]) == (0, 1)
    assert h.declarations.get(seq_no).version == version
    assert len(receipt_entries(h, seq_no)) == 1
    assert len(h.uow.events) == events


def test_two_deliveries_racing_on_the_same_record_apply_the_receipt_once():
    # Given a receipt whose first delivery reads the record, then pauses at its write while a
    # second delivery of the same receipt runs to the end
    h, seq_no = declared_harness()
    body = dec_result(seq_no, "L")
    results = []

    def second_delivery_first(change):
        h.uow.before_commit = None
        results.append(ingest_receipts(body, sign(body), RECEIPT_SECRET, h.engine, UnusedReceipts()))

    h.uow.before_commit = second_delivery_first
    # When the first delivery resumes
    first = ingest_receipts(body, sign(body), RECEIPT_SECRET, h.engine, UnusedReceipts())
    # Then exactly one of them applied it
    assert results[0]["applied"] + first["applied"] == 1
    assert results[0]["duplicates"] + first["duplicates"] == 1
    assert len(receipt_entries(h, seq_no)) == 1


def test_a_receipt_racing_an_engine_write_is_applied_on_the_record_as_it_now_is():
    # Given a receipt whose write finds the record moved by another writer (once)
    h, seq_no = declared_harness()
    body = dec_result(seq_no, "L")
    moved = []

    def another_writer(change):
        if not moved:
            decl = h.declarations.get(seq_no)
            h.declarations.items[seq_no] = decl.with_changes(version=decl.version + 1)
            moved.append(True)

    h.uow.before_commit = another_writer
    # When it is ingested
    result = ingest_receipts(body, sign(body), RECEIPT_SECRET, h.engine, UnusedReceipts())
    # Then it was applied on the second attempt, once
    assert result["applied"] == 1
    assert len(receipt_entries(h, seq_no)) == 1


def _without_client_seq_no(body: bytes) -> bytes:
    """A real DEC_RESULT often names the declaration only by customs' numbers."""
    text = body.decode()
    return (text[: text.index("<CLIENT_SEQ_NO>")] + "</DEC_RESULT>").encode()


def test_the_next_receipt_on_the_same_container_is_applied_without_reading_the_declaration_again():
    from chalicelib.services.receipts import RecentDeclarations

    # Given a declared declaration, and the L receipt applied by this container
    h, seq_no = declared_harness()
    recent = RecentDeclarations()
    body = dec_result(seq_no, "L")
    ingest_receipts(body, sign(body), RECEIPT_SECRET, h.engine, UnusedReceipts(), recent)
    reads: list[str] = []
    real_get, real_by_entry_id = h.declarations.get, h.declarations.by_entry_id
    h.declarations.get = lambda s: reads.append(s) or real_get(s)
    h.declarations.by_entry_id = lambda e: reads.append(e) or real_by_entry_id(e)
    # When its P receipt arrives naming it only by customs' numbers
    body = _without_client_seq_no(dec_result(seq_no, "P"))
    result = ingest_receipts(body, sign(body), RECEIPT_SECRET, h.engine, UnusedReceipts(), recent)
    # Then it is applied from the record this container wrote, with nothing read
    assert result["applied"] == 1 and reads == []
    assert str(h.declarations.items[seq_no].status) == "released"


def test_a_stale_recent_record_is_refused_by_its_version_and_read_again():
    from chalicelib.services.receipts import RecentDeclarations

    # Given this container's record of a declaration, then the declaration changed elsewhere
    h, seq_no = declared_harness()
    recent = RecentDeclarations()
    body = dec_result(seq_no, "L")
    ingest_receipts(body, sign(body), RECEIPT_SECRET, h.engine, UnusedReceipts(), recent)
    current = h.declarations.items[seq_no]
    h.declarations.items[seq_no] = current.with_changes(version=current.version + 1)
    # When the next receipt arrives
    body = dec_result(seq_no, "P")
    result = ingest_receipts(body, sign(body), RECEIPT_SECRET, h.engine, UnusedReceipts(), recent)
    # Then the write on the stale version is refused, the declaration read again and the receipt applied once
    assert result["applied"] == 1
    assert str(h.declarations.items[seq_no].status) == "released"
    assert len(receipt_entries(h, seq_no)) == 2


def test_recent_records_are_bounded_and_forget_their_other_numbers_with_them():
    from chalicelib.services.receipts import RecentDeclarations

    h, seq_no = declared_harness()
    [other] = h.declarations_marked(1)
    recent = RecentDeclarations(size=1)
    recent.keep(h.declarations.items[seq_no].with_changes(entry_id=ENTRY_ID))
    assert recent.holder("entry_id", ENTRY_ID) == seq_no
    # a second record pushes the first out, and its entry_id no longer finds anything
    recent.keep(h.declarations.items[other])
    assert recent.holder("entry_id", ENTRY_ID) is None
    assert recent.get(seq_no) is None
    assert recent.get(other).seq_no == other
