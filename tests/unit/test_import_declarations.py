"""Import: each record accepted whole or refused whole; seq_no assigned; the importer must be a party."""

from __future__ import annotations

import re

import pytest

from chalicelib.domain import errors
from chalicelib.services.import_declarations import ImportRecord, import_declarations, records_from_json
from tests.factories import ENT_A, ENT_B, FixedClock, make_declaration_body, make_identity
from tests.fakes import FakeDeclarationRepository, FakeSeqNoAllocator


@pytest.fixture
def repo():
    return FakeDeclarationRepository()


def run(repo, bodies, identity=None, smart_mark=False):
    records = [ImportRecord(raw=b) for b in bodies]
    return import_declarations(
        identity or make_identity(), records, smart_mark, repo, FakeSeqNoAllocator(), FixedClock()
    )


def test_imported_declarations_are_temp_saved_with_a_fresh_seq_no(repo):
    result = run(repo, [make_declaration_body(), make_declaration_body(ie_flag="E")])
    assert result.rejected == []
    assert [s[0] for s in result.accepted] == ["I", "E"]
    assert all(re.fullmatch(r"[IE]2024\d{13}", s) for s in result.accepted)
    stored = repo.items[result.accepted[0]]
    assert stored.status == "temp_saved" and stored.smart_status == "pending" and stored.smart_mark is False


def test_smart_mark_on_import_records_who_marked(repo):
    result = run(repo, [make_declaration_body()], smart_mark=True)
    stored = repo.items[result.accepted[0]]
    assert stored.smart_mark and stored.marked_by == "8911020000108"


def test_a_half_wrong_batch_accepts_the_good_records_and_lists_the_bad_ones(repo):
    bad = make_declaration_body(declare_customs="1")
    result = run(repo, [make_declaration_body(), bad, make_declaration_body()])
    assert len(result.accepted) == 2
    assert [r["index"] for r in result.rejected] == [1]
    assert result.rejected[0]["errors"][0]["field"] == "declare_customs"
    assert len(repo.items) == 2


def test_a_declaration_of_another_enterprise_is_refused(repo):
    other = make_declaration_body(agent=dict(ENT_B), consignee=dict(ENT_B), owner=None)
    result = run(repo, [other])
    assert result.accepted == [] and result.rejected[0]["errors"][0]["field"] == "agent"


def test_the_importer_side_gets_its_missing_customs_code_filled(repo):
    body = make_declaration_body(agent={"uscc": ENT_A["uscc"], "name": ENT_A["name"]})
    result = run(repo, [body])
    assert repo.items[result.accepted[0]].content.agent.code == ENT_A["code"]


def test_a_given_seq_no_is_kept_as_the_source_and_ours_is_allocated(repo):
    # Given a declaration carrying the sending software's seq_no
    body = make_declaration_body(seq_no="I20240001031824871")
    # When it is imported
    result = run(repo, [body])
    # Then the stored seq_no is ours and the sender's is kept as source_seq_no
    [seq_no] = result.accepted
    assert seq_no != "I20240001031824871"
    assert repo.items[seq_no].content.source_seq_no == "I20240001031824871"


def test_a_second_import_of_the_same_source_seq_no_answers_where_it_went(repo):
    allocator = FakeSeqNoAllocator()
    body = make_declaration_body(seq_no="I20240001031824871")
    [first] = import_declarations(
        make_identity(), [ImportRecord(raw=body)], False, repo, allocator, FixedClock()
    ).accepted
    again = import_declarations(make_identity(), [ImportRecord(raw=body)], False, repo, allocator, FixedClock())
    assert again.accepted == [] and f"already imported as {first}" in again.rejected[0]["errors"][0]["message_en"]


def test_the_same_seq_no_twice_in_one_import_is_refused_once(repo):
    body = make_declaration_body(seq_no="I20240001031824871")
    result = run(repo, [body, body])
    assert len(result.accepted) == 1 and [r["index"] for r in result.rejected] == [1]


def test_self_declared_self_paid_needs_tax_confirmation(repo):
    result = run(repo, [make_declaration_body(self_pay=True), make_declaration_body(self_pay=False)])
    assert [repo.items[s].tax_status for s in result.accepted] == ["unconfirmed", "not_required"]


def test_read_errors_from_a_file_reject_the_record_without_validation(repo):
    record = ImportRecord(
        raw={}, source="DecMessage 2", read_errors=[errors.FieldError("DecHead", "缺少表头", "missing DecHead")]
    )
    result = import_declarations(make_identity(), [record], False, repo, FakeSeqNoAllocator(), FixedClock())
    assert result.rejected == [
        {
            "index": 0,
            "source": "DecMessage 2",
            "errors": [{"field": "DecHead", "message_zh": "缺少表头", "message_en": "missing DecHead"}],
        }
    ]


@pytest.mark.parametrize(
    "body",
    [[], {"declarations": []}, {"declarations": [{}], "mark": True}, {"declarations": [{}], "smart_mark": "yes"}],
)
def test_json_import_body_must_have_the_documented_shape(body):
    with pytest.raises(errors.DomainError) as exc:
        records_from_json(body, max_records=500)
    assert exc.value.kind == "bad_request"


def test_json_import_refuses_more_records_than_the_limit():
    with pytest.raises(errors.DomainError):
        records_from_json({"declarations": [{}] * 3}, max_records=2)
