"""DynamoUnitOfWork on moto: many changes in one TransactWriteItems, each still conditional on its version."""

from __future__ import annotations

from chalicelib.adapters.unit_of_work import DynamoUnitOfWork
from chalicelib.domain import lifecycle
from tests.factories import make_declaration_body


def _claims(container, decls, batch_no="B1"):
    now = container.clock()
    return [
        lifecycle.claim(d, now, batch_no=batch_no, execution_id="E1", config_id="C1", config_name="c", deadline=now)
        for d in decls
    ]


def test_claims_of_a_batch_go_in_one_request_and_the_one_taken_meanwhile_is_left_out(enabled_api, container):
    # Given three pooled declarations, one of which another batch claims after we read them
    seq_nos = enabled_api.post(
        "/declarations", {"declarations": [make_declaration_body() for _ in range(3)], "smart_mark": True}
    ).json["accepted"]
    decls = [container.declarations.get(s) for s in seq_nos]
    uow = DynamoUnitOfWork(container.settings.region)
    uow.commit(_claims(container, [decls[1]], batch_no="OTHER")[0])
    # When our batch commits its three claims together
    lost = uow.commit_many(_claims(container, decls))
    # Then the one taken meanwhile is reported lost and untouched; the other two are ours, with their log
    assert lost == {seq_nos[1]}
    after = {s: container.declarations.get(s) for s in seq_nos}
    assert after[seq_nos[1]].batch_no == "OTHER"
    assert [after[s].batch_no for s in (seq_nos[0], seq_nos[2])] == ["B1", "B1"]
    assert all(after[s].version == decls[0].version + 1 for s in seq_nos)
    for s in seq_nos:
        assert len([e for e in container.engine.log.list(s) if e.gate == "claim"]) == 1


def test_more_claims_than_one_request_holds_are_split(enabled_api, container):
    # Given 60 pooled declarations (a claim is 2 items: 100 items hold 50 claims)
    seq_nos = enabled_api.post(
        "/declarations", {"declarations": [make_declaration_body() for _ in range(60)], "smart_mark": True}
    ).json["accepted"]
    decls = list(container.declarations.get_many(seq_nos).values())
    # When they are committed together
    lost = DynamoUnitOfWork(container.settings.region).commit_many(_claims(container, decls))
    # Then every one is claimed
    assert lost == set()
    assert {d.batch_no for d in container.declarations.get_many(seq_nos).values()} == {"B1"}
