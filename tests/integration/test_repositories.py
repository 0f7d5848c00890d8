"""The DynamoDB adapters against moto: conditional writes hold when two workers race."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.adapters.config_repository import DynamoConfigRepository
from chalicelib.adapters.seq_no_allocator import DynamoSeqNoAllocator
from chalicelib.services.import_declarations import ImportRecord, import_declarations
from chalicelib.services.ports import ConditionFailed, UniquenessClash
from tests.factories import FixedClock, make_declaration_body, make_identity


@pytest.fixture
def declarations(container):
    return container.declarations


def imported(container, n=1, **kw):
    records = [ImportRecord(raw=make_declaration_body(**kw)) for _ in range(n)]
    return import_declarations(
        make_identity(), records, False, container.declarations, container.seq_nos, FixedClock()
    ).accepted


def test_a_declaration_round_trips_through_dynamodb_unchanged(container, declarations):
    [seq_no] = imported(
        container,
        containers=[
            {
                "container_id": "TGHU1234567",
                "container_md": "22G1",
                "goods_no": "1",
                "lcl_flag": "0",
                "container_wt": "2200.5",
            }
        ],
        freight={"mark": "3", "rate": "1500", "currency": "USD"},
    )
    decl = declarations.get(seq_no)
    assert decl.content.containers[0].container_id == "TGHU1234567"
    assert str(decl.content.freight.rate) == "1500"
    assert declarations.get_many([seq_no])[seq_no] == decl


def test_only_one_of_two_racing_mark_writes_wins(container, declarations):
    # Given two workers that both read the declaration at the same version (a deterministic
    # interleaving: moto's threaded server does not serialise two conditional writes)
    [seq_no] = imported(container)
    first_read, second_read = declarations.get(seq_no), declarations.get(seq_no)
    clock = FixedClock()
    # When both write, one after the other
    declarations.set_mark(first_read, True, "card-1", clock())
    # Then the second, based on a stale version, is refused
    with pytest.raises(ConditionFailed):
        declarations.set_mark(second_read, True, "card-2", clock())
    stored = declarations.get(seq_no)
    assert stored.version == first_read.version + 1 and stored.marked_by == "card-1"


def test_marking_puts_a_declaration_into_the_pool_index_and_unmarking_takes_it_out(container, declarations):
    from chalicelib.adapters.dynamo_models import DeclarationModel as M

    [seq_no] = imported(container)
    decl = declarations.get(seq_no)
    declarations.set_mark(decl, True, "card", FixedClock()())
    assert [i.seq_no for i in M.pool_agent_index.query("1108919038#I")] == [seq_no]
    declarations.set_mark(declarations.get(seq_no), False, "card", FixedClock()())
    assert list(M.pool_agent_index.query("1108919038#I")) == []


def test_a_stale_replace_is_refused(container, declarations):
    [seq_no] = imported(container)
    decl = declarations.get(seq_no)
    declarations.replace(decl.with_changes(version=2), expected_version=1)
    with pytest.raises(ConditionFailed):
        declarations.replace(decl.with_changes(version=2), expected_version=1)


def test_concurrent_seq_no_allocations_never_overlap(container):
    allocator = DynamoSeqNoAllocator()
    with ThreadPoolExecutor(4) as pool:
        blocks = list(pool.map(lambda _: allocator.allocate("I", 2024, 25), range(8)))
    numbers = [s for block in blocks for s in block]
    assert len(numbers) == len(set(numbers)) == 200


def test_two_racing_config_creates_for_the_same_place_leave_one(container):
    from chalicelib.services import configs
    from tests.factories import make_config_body

    repo = DynamoConfigRepository(region="cn-north-1")

    def attempt(name):
        try:
            configs.create_config(make_identity(), make_config_body(name=name), repo, FixedClock())
            return "created"
        except Exception as exc:  # noqa: BLE001 - we count the refusals
            return getattr(exc, "code", type(exc).__name__)

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(attempt, ["一", "二"]))
    assert outcomes == ["config_clash", "created"]
    assert len(repo.list("1108919038")) == 1


def test_uniqueness_clash_is_reported_as_such(container):
    from chalicelib.domain.configs import Config, ConfigContent
    from tests.factories import make_config_body

    repo = DynamoConfigRepository(region="cn-north-1")
    now = FixedClock()()
    content = ConfigContent.model_validate(make_config_body())
    repo.save(Config("a", "1108919038", content, "c", now, now), {"k"}, None, set())
    with pytest.raises(UniquenessClash):
        repo.save(Config("b", "1108919038", content, "c", now, now), {"k"}, None, set())


def test_counting_or_finishing_a_batch_never_recorded_creates_nothing(container):
    from chalicelib.adapters.execution_repository import DynamoBatchRepository

    batches = DynamoBatchRepository()
    assert batches.count("P2024032100000000099", {"waiting": ["I20240000000000001"]}) is None
    assert batches.finish("P2024032100000000099", FixedClock()()) is False
    assert batches.get("P2024032100000000099") is None


def test_an_import_larger_than_one_transaction_writes_every_record(container, declarations):
    accepted = imported(container, n=130)

    assert len(accepted) == 130
    assert len(declarations.get_many(accepted)) == 130


def test_a_source_number_imported_before_is_held_and_the_rest_of_its_transaction_is_written(container, declarations):
    def record(source):
        return ImportRecord(raw=make_declaration_body(seq_no=source))

    first = import_declarations(
        make_identity(), [record("I20240001031820099")], False, declarations, container.seq_nos, FixedClock()
    )
    sources = ["I20240001031820101", "I20240001031820099", "I20240001031820102"]

    again = import_declarations(
        make_identity(), [record(s) for s in sources], False, declarations, container.seq_nos, FixedClock()
    )

    assert len(first.accepted) == 1 and len(again.accepted) == 2
    assert [r["index"] for r in again.rejected] == [1]
    assert first.accepted[0] in json.dumps(again.rejected[0], ensure_ascii=False)
    assert {declarations.get(s).content.source_seq_no for s in again.accepted} == {sources[0], sources[2]}


def test_every_table_s_model_and_every_transaction_share_one_botocore_client(container):
    # PynamoDB builds a botocore session and client per model class (50–150 ms each at a function's
    # first request); dynamo_models._Model puts every model on the process's one connection
    from chalicelib.adapters.dynamo_models import MODELS, EnterpriseClaimModel, connection

    clients = {id(m._get_connection().connection.client) for m in [*MODELS.values(), EnterpriseClaimModel]}

    assert clients == {id(connection(container.settings.region).client)}


def test_dynamodb_and_the_other_aws_clients_are_built_from_one_botocore_session(container):
    # a second session loads botocore's data again (about 55 ms of a function's first message)
    from chalicelib.adapters import aws_clients
    from chalicelib.adapters.dynamo_models import connection

    assert connection(container.settings.region).session is aws_clients.session()


def test_requests_to_several_tables_through_the_shared_client_read_their_own_items(container):
    # the shared connection knows each table's key schema (two models share the enterprises table)
    from chalicelib.adapters.dynamo_models import CounterModel, EnterpriseClaimModel, EnterpriseModel

    [seq_no] = imported(container)
    CounterModel(name="probe", value=3).save()
    EnterpriseClaimModel(ent_code="uscc#91110000600037341L", claimed_by="1108919038").save()

    assert container.declarations.get(seq_no).seq_no == seq_no
    assert CounterModel.get("probe").value == 3
    assert EnterpriseClaimModel.get("uscc#91110000600037341L").claimed_by == "1108919038"
    assert EnterpriseModel.count("uscc#91110000600037341L") == 1
