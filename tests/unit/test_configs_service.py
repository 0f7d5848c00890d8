"""Configs: legal-only writes, the seed's uniqueness rule, tenant isolation."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import DomainError
from chalicelib.services import configs
from tests.factories import ENT_A, ENT_B, FixedClock, make_config_body, make_identity
from tests.fakes import FakeConfigRepository

CONSIGNEE_C = {"code": "1105910159", "uscc": "91110000100011743X", "name": "中国山货花卉进出口公司"}


@pytest.fixture
def repo():
    return FakeConfigRepository()


def create(repo, identity=None, **overrides):
    return configs.create_config(identity or make_identity(), make_config_body(**overrides), repo, FixedClock())


def refused(fn, *args, **kwargs):
    with pytest.raises(DomainError) as exc:
        fn(*args, **kwargs)
    return exc.value


def test_legal_card_creates_a_config_that_reads_back(repo):
    config = create(repo)
    assert configs.get_config(make_identity(role="operator"), config.config_id, repo).content.name == "大恒企业进口"


def test_operator_card_cannot_create_change_or_delete(repo):
    config = create(repo)
    operator = make_identity(role="operator", card_no="2110050002046")
    for err in (
        refused(configs.create_config, operator, make_config_body(), repo, FixedClock()),
        refused(configs.update_config, operator, config.config_id, make_config_body(), repo, FixedClock()),
        refused(configs.delete_config, operator, config.config_id, repo),
    ):
        assert err.kind == "forbidden" and "只有法人卡" in err.message_zh


def test_second_enabled_config_for_same_consignee_and_flag_clashes_with_seed_message(repo):
    create(repo)
    err = refused(create, repo)
    assert err.kind == "conflict"
    assert err.message_zh.startswith("该申报单位下存在相同的境内收发货人、相同进出口标志且启用状态的数据!")


def test_one_import_and_one_export_config_per_consignee_are_allowed(repo):
    create(repo, ie_flag="I")
    create(repo, ie_flag="E")
    create(repo, ie_flag="I", consignee=CONSIGNEE_C, name="山货进口")
    assert len(configs.list_configs(make_identity(), repo)) == 3


def test_a_disabled_config_does_not_clash(repo):
    create(repo)
    create(repo, enabled=False, name="备用")
    assert len(repo.configs) == 2


def test_the_same_consignee_named_by_uscc_only_still_clashes(repo):
    create(repo)
    err = refused(create, repo, consignee={"uscc": ENT_A["uscc"]})
    assert err.code == "config_clash"


def test_enabling_a_disabled_config_into_a_clash_is_refused(repo):
    create(repo)
    spare = create(repo, enabled=False, name="备用")
    err = refused(
        configs.update_config, make_identity(), spare.config_id, make_config_body(name="备用"), repo, FixedClock()
    )
    assert err.code == "config_clash"


def test_disabling_a_config_frees_its_place(repo):
    first = create(repo)
    configs.update_config(make_identity(), first.config_id, make_config_body(enabled=False), repo, FixedClock())
    create(repo, name="新配置")
    assert len(repo.configs) == 2


def test_deleting_a_config_frees_its_place(repo):
    first = create(repo)
    configs.delete_config(make_identity(), first.config_id, repo)
    create(repo)
    assert len(repo.configs) == 1


def test_user_configs_clash_when_they_share_an_operator_card_and_flag(repo):
    create(repo, effective_by="user", operator_cards=["8911020000108"], consignee=None)
    err = refused(
        create,
        repo,
        effective_by="user",
        operator_cards=["8911020000108", "2110050002046"],
        consignee=None,
        name="第二",
    )
    assert err.code == "config_clash"


def test_another_enterprise_sees_none_of_our_configs(repo):
    config = create(repo)
    other = make_identity(ENT_B)
    assert configs.list_configs(other, repo) == []
    assert refused(configs.get_config, other, config.config_id, repo).kind == "not_found"


def test_a_config_must_name_our_enterprise_as_agent_or_consignee(repo):
    err = refused(create, repo, agent=dict(ENT_B), consignee=dict(ENT_B))
    assert err.kind == "bad_request"


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"effective_by": "user", "operator_cards": []}, "(record)"),
        ({"batch_wait_seconds": 0}, "batch_wait_seconds"),
        ({"ie_flag": "X"}, "ie_flag"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_config_bodies_are_refused_with_the_field(repo, overrides, field):
    err = refused(create, repo, **overrides)
    assert err.kind == "bad_request" and field in [d["field"] for d in err.details]


def test_a_clash_names_the_config_it_clashes_with(repo):
    # Given an enabled import config, When a second one for the same parties and flag is saved
    first = create(repo, name="大恒企业进口")
    err = refused(create, repo, name="重复进口")
    # Then the seed's sentence names the other config, and the details carry it for programs
    seed = "该申报单位下存在相同的境内收发货人、相同进出口标志且启用状态的数据!"
    assert err.message_zh == seed + "（预配置“大恒企业进口”）"
    assert err.message_en.endswith(": “大恒企业进口”")
    assert err.details == {"ie_flag": "I", "config_id": first.config_id, "config_name": "大恒企业进口"}
