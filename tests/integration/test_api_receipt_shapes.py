"""POST /customs/receipts with receipts as every client writes them (#13 item 5): today's
DEC_RESULT and older DXP clients' GB2312 DEC_DATA are both matched to their declarations."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import make_declaration_body
from tests.integration.test_api_receipts import post, status

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# the customs numbers (统一编号) the fixtures carry: CUS_CIQ_NO in one, SEQ_NO in the other
FIXTURE_CUSTOMS_NUMBERS = {
    "receipt_dec_result.xml": "I20249000000000101",
    "receipt_dec_data_gb2312.xml": "I20249000000000102",
}
ENTRY_IDS = {"receipt_dec_result.xml": "010120241000000101", "receipt_dec_data_gb2312.xml": "220120241000000102"}


@pytest.fixture
def declared_pair(enabled_api, container) -> dict[str, str]:
    """Two declarations customs took, each under one fixture's customs number: {fixture: seq_no}."""
    bodies = [make_declaration_body(bill_no=f"99912345{n}") for n in (671, 672)]
    seq_nos = enabled_api.post("/declarations", {"declarations": bodies}).json["accepted"]
    from chalicelib.adapters.declaration_repository import to_item

    for seq_no, customs_seq_no in zip(seq_nos, FIXTURE_CUSTOMS_NUMBERS.values(), strict=True):
        decl = container.declarations.get(seq_no)
        to_item(
            decl.with_changes(
                status="declared",
                smart_status="succeeded",
                customs_seq_no=customs_seq_no,
                declared_at=decl.created_at,
                version=decl.version + 1,
            )
        ).save()
    return dict(zip(FIXTURE_CUSTOMS_NUMBERS, seq_nos, strict=True))


@pytest.mark.parametrize("fixture", sorted(FIXTURE_CUSTOMS_NUMBERS))
def test_both_receipt_shapes_are_matched_to_their_declarations(enabled_api, declared_pair, fixture):
    # Given a receipt file as one kind of client writes it (no CLIENT_SEQ_NO: only customs' number)
    body = (FIXTURES / fixture).read_bytes()

    # When customs posts it
    result = post(enabled_api, body).json

    # Then it is applied to the declaration under that customs number, and to no other
    assert (result["received"], result["applied"], result["unmatched"]) == (1, 1, [])
    mine = status(enabled_api, declared_pair[fixture])
    assert (mine["status"], mine["receipt_channel"]) == ("accepted", "L")
    assert mine["entry_id"] == ENTRY_IDS[fixture]
    other = next(seq_no for name, seq_no in declared_pair.items() if name != fixture)
    assert status(enabled_api, other)["status"] == "declared"


def test_keyless_receipts_with_the_same_channel_and_second_are_both_kept_unmatched(enabled_api, declared_pair):
    # Given two older-client receipts that carry no number at all, same channel and second
    def keyless(port: str) -> bytes:
        return (
            f"<DEC_DATA><DEC_RESULT><SEQ_NO/><NOTICE_DATE>20240321T11072100</NOTICE_DATE><CHANNEL>L</CHANNEL>"
            f"<DECL_PORT>{port}</DECL_PORT></DEC_RESULT></DEC_DATA>"
        ).encode()

    # When both are posted
    first, second = post(enabled_api, keyless("2201")).json, post(enabled_api, keyless("5100")).json

    # Then each is kept as unmatched under its own id: the second is not dropped as a duplicate
    assert (first["duplicates"], second["duplicates"]) == (0, 0)
    assert len(first["unmatched"]) == len(second["unmatched"]) == 1
    assert first["unmatched"][0]["receipt_id"] != second["unmatched"][0]["receipt_id"]
    assert {status(enabled_api, seq_no)["status"] for seq_no in declared_pair.values()} == {"declared"}
