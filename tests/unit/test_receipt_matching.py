"""A receipt applies only when every number it names agrees, and only within its tenant.

The probe's reproduction (a signed receipt naming A's seq_no with B's entry_id was applied to B,
moving B's receipt channel from P back to L, while A stayed declared without an entry_id) and every
other disagreeing pair of numbers end the same way: nothing applied, the receipt kept as a conflict,
a log line on each declaration it points at.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest

from chalicelib.formats.dec_result import read_receipts
from chalicelib.services.receipts import RecentDeclarations, apply_receipts, ingest_receipts
from tests.engine_harness import Harness
from tests.factories import RECEIPT_SECRET

ENTRY_A = "010120241000000001"
ENTRY_B = "010120241000000002"


def dec_result(
    channel: str,
    *,
    client_seq_no: str | None = None,
    entry_id: str | None = None,
    cus_ciq_no: str | None = None,
    notice: str = "2024-03-21T11:07:21",
) -> bytes:
    parts = ['<?xml version="1.0" encoding="UTF-8"?><DEC_RESULT>']
    if cus_ciq_no:
        parts.append(f"<CUS_CIQ_NO>{cus_ciq_no}</CUS_CIQ_NO>")
    if entry_id:
        parts.append(f"<ENTRY_ID>{entry_id}</ENTRY_ID>")
    parts.append(f"<NOTICE_DATE>{notice}</NOTICE_DATE><CHANNEL>{channel}</CHANNEL><NOTE>回执</NOTE>")
    if client_seq_no:
        parts.append(f"<CLIENT_SEQ_NO>{client_seq_no}</CLIENT_SEQ_NO>")
    parts.append("</DEC_RESULT>")
    return "".join(parts).encode()


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(RECEIPT_SECRET.encode(), body, hashlib.sha256).hexdigest()


class KeptReceipts:
    """The receipt repository's separate writes (receipts applied to nothing)."""

    def __init__(self) -> None:
        self.kept: dict[str, dict] = {}

    def add(self, receipt_id, body, seq_no, received_at):
        seen = self.kept.get(receipt_id)
        if seen is None:
            self.kept[receipt_id] = {**body, "seq_no": seq_no, "applied": False}
        return seen

    def mark_applied(self, receipt_id):
        raise AssertionError("not used")


def ingest(h: Harness, body: bytes, receipts: KeptReceipts, recent: RecentDeclarations | None = None) -> dict:
    return ingest_receipts(body, sign(body), RECEIPT_SECRET, h.engine, receipts, recent)


def two_declared() -> tuple[Harness, str, str]:
    """A declared, no receipt yet; B entered (L, entry_id ENTRY_B) and released (P)."""
    h = Harness()
    h.start(h.config())
    a, b = h.declarations_marked(2)
    h.wait_and_run()
    assert h.decl(a).declared_at and h.decl(b).declared_at
    kept = KeptReceipts()
    for channel in ("L", "P"):
        body = dec_result(channel, client_seq_no=b, entry_id=ENTRY_B, cus_ciq_no=h.decl(b).customs_seq_no)
        assert ingest(h, body, kept)["applied"] == 1
    assert (str(h.decl(b).status), h.decl(b).receipt_channel) == ("released", "P")
    return h, a, b


def conflict_lines(h: Harness, seq_no: str) -> list:
    return [e for e in h.log.list(seq_no) if e.gate == "receipt" and e.outcome == "conflict"]


@pytest.mark.parametrize("warm", [False, True], ids=["cold container", "warm container holding B"])
def test_a_receipt_naming_one_declarations_seq_no_and_anothers_entry_id_is_applied_to_neither(warm):
    # Given A declared and B released, and (warm) this container applied B's receipts just now
    h, a, b = two_declared()
    recent = RecentDeclarations()
    if warm:
        recent.keep(h.decl(b))
    before_a, before_b = h.decl(a), h.decl(b)
    kept = KeptReceipts()
    # When a signed receipt names A's seq_no and B's entry_id
    result = ingest(h, dec_result("L", client_seq_no=a, entry_id=ENTRY_B), kept, recent)
    # Then nothing is applied to either, and the receipt is kept as a conflict naming the disagreement
    assert (result["applied"], result["unmatched"]) == (0, [])
    [conflict] = result["conflicts"]
    assert conflict["disagreements"] == [{"identifier": "entry_id", "value": ENTRY_B, "held": None, "held_by": b}]
    assert sorted(conflict["seq_nos"]) == sorted([a, b])
    assert h.decl(a) == before_a and h.decl(a).entry_id is None
    assert h.decl(b) == before_b and h.decl(b).receipt_channel == "P"
    [stored] = kept.kept.values()
    assert stored["seq_no"] is None and stored["conflict"]["disagreements"][0]["identifier"] == "entry_id"
    # And each declaration's log says so, once
    assert len(conflict_lines(h, a)) == 1 and len(conflict_lines(h, b)) == 1
    assert "海关编号" in conflict_lines(h, a)[0].reason_zh


def test_a_receipt_naming_one_declarations_seq_no_and_anothers_customs_seq_no_is_a_conflict():
    h, a, b = two_declared()
    result = ingest(h, dec_result("L", client_seq_no=a, cus_ciq_no=h.decl(b).customs_seq_no), KeptReceipts())
    [conflict] = result["conflicts"]
    # A already holds customs' SeqNo from its DecImportResponse: the receipt's differs from it
    assert [d["identifier"] for d in conflict["disagreements"]] == ["cus_ciq_no"]
    assert result["applied"] == 0 and h.decl(a).receipt_channel is None


def test_a_receipt_whose_entry_id_and_customs_seq_no_name_two_declarations_is_a_conflict():
    h, a, b = two_declared()
    result = ingest(h, dec_result("P", entry_id=ENTRY_B, cus_ciq_no=h.decl(a).customs_seq_no), KeptReceipts())
    [conflict] = result["conflicts"]
    assert [d["identifier"] for d in conflict["disagreements"]] == ["cus_ciq_no"]
    assert result["applied"] == 0 and str(h.decl(a).status) == "declared"


def test_a_receipt_with_another_entry_id_than_its_declaration_holds_is_a_conflict():
    # Given B holds ENTRY_B; When a receipt names B with an entry_id nobody holds
    h, a, b = two_declared()
    result = ingest(h, dec_result("R", client_seq_no=b, entry_id="010120249999999999"), KeptReceipts())
    # Then B does not move to closed
    [conflict] = result["conflicts"]
    assert conflict["disagreements"] == [
        {"identifier": "entry_id", "value": "010120249999999999", "held": ENTRY_B, "held_by": None}
    ]
    assert str(h.decl(b).status) == "released"


def test_a_receipt_with_an_unknown_seq_no_and_a_known_entry_id_is_a_conflict_not_applied_to_the_known_one():
    h, a, b = two_declared()
    result = ingest(h, dec_result("L", client_seq_no="I20249999999999999", entry_id=ENTRY_B), KeptReceipts())
    [conflict] = result["conflicts"]
    assert conflict["disagreements"][0]["identifier"] == "client_seq_no"
    assert conflict["seq_nos"] == [b] and h.decl(b).receipt_channel == "P"


def test_a_conflict_delivered_twice_is_logged_once():
    h, a, b = two_declared()
    kept = KeptReceipts()
    body = dec_result("L", client_seq_no=a, entry_id=ENTRY_B)
    ingest(h, body, kept)
    again = ingest(h, body, kept)
    assert again["applied"] == 0 and len(again["conflicts"]) == 1
    assert len(conflict_lines(h, a)) == 1 and len(kept.kept) == 1


def test_a_receipt_whose_numbers_all_agree_is_applied_and_keeps_customs_numbers_on_the_record():
    h, a, _ = two_declared()
    customs_seq_no = h.decl(a).customs_seq_no
    result = ingest(h, dec_result("L", client_seq_no=a, entry_id=ENTRY_A, cus_ciq_no=customs_seq_no), KeptReceipts())
    assert (result["applied"], result["conflicts"]) == (1, [])
    assert (h.decl(a).entry_id, h.decl(a).receipt_channel) == (ENTRY_A, "L")


def test_a_late_entry_receipt_does_not_take_a_released_declaration_back_to_its_channel():
    # Given B released (P); When its L arrives late (another notice time: another receipt)
    h, _, b = two_declared()
    body = dec_result("L", client_seq_no=b, entry_id=ENTRY_B, notice="2024-03-21T09:00:00")
    result = ingest(h, body, KeptReceipts())
    # Then it is applied (logged) but neither the status nor the shown channel goes back
    assert result["applied"] == 1
    assert (str(h.decl(b).status), h.decl(b).receipt_channel) == ("released", "P")


def test_a_receipt_through_an_enterprises_agent_applies_only_to_that_enterprises_declarations():
    # Given A declared, owned by the harness's enterprise
    h, a, _ = two_declared()
    owner = h.decl(a).owner_ent
    reads = read_receipts(dec_result("L", client_seq_no=a, entry_id=ENTRY_A, cus_ciq_no=h.decl(a).customs_seq_no))
    # When another enterprise's agent forwards it
    foreign = apply_receipts(reads, h.engine, KeptReceipts(), tenant="3101234567")
    # Then it is unknown there: not applied, and nothing in the answer tells A exists
    assert foreign["applied"] == 0 and foreign["conflicts"] == []
    [unmatched] = foreign["unmatched"]
    assert "seq_nos" not in unmatched and h.decl(a).receipt_channel is None
    # And through its own enterprise's agent it applies
    own = apply_receipts(reads, h.engine, KeptReceipts(), tenant=owner)
    assert own["applied"] == 1 and h.decl(a).receipt_channel == "L"


def test_an_agents_conflict_does_not_name_another_enterprises_declaration():
    h, a, b = two_declared()
    reads = read_receipts(dec_result("L", client_seq_no=a, entry_id=ENTRY_B))
    # B is named by its entry_id only; the answer to an agent leaves the holder out
    result = apply_receipts(reads, h.engine, KeptReceipts(), tenant=h.decl(a).owner_ent)
    [conflict] = result["conflicts"]
    assert conflict["disagreements"][0]["held_by"] is None


def test_a_pushed_receipt_gives_customs_notice_date_in_china_time_with_its_zone():
    # Given B declared and a DEC_RESULT whose NOTICE_DATE customs wrote without a zone (China time)
    h = Harness()
    h.start(h.config())
    [b] = h.declarations_marked(1)
    h.wait_and_run()
    body = dec_result("L", client_seq_no=b, entry_id=ENTRY_B, cus_ciq_no=h.decl(b).customs_seq_no)

    # When applied
    assert ingest(h, body, KeptReceipts())["applied"] == 1

    # Then the customs_receipt event says when, with +08:00, as every time a machine reads
    [event] = [e for e in h.uow.events if e.event_type == "customs_receipt"]
    assert event.data["notice_date"] == "2024-03-21T11:07:21+08:00"
