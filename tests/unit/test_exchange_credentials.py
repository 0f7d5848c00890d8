"""Agent credentials: made by the legal card, the key shown once and kept only as its hash, checked
at most every few seconds per container, revoked within that everywhere and at once where revoked."""

from __future__ import annotations

import pytest

from chalicelib.domain import errors
from chalicelib.services.exchange_credentials import (
    CHECK_EVERY,
    CredentialCheck,
    create_credential,
    key_hash,
    list_credentials,
    revoke_credential,
)
from tests.exchange_fakes import FakeAgentCredentials
from tests.factories import ENT_A, ENT_B, FixedClock, make_identity


def made(credentials=None, clock=None):
    credentials, clock = credentials or FakeAgentCredentials(), clock or FixedClock()
    created = create_credential(make_identity(), {"name": "报关员电脑"}, credentials, clock)
    return credentials, clock, created


def test_the_key_is_shown_once_and_only_its_hash_is_kept():
    credentials, _, created = made()

    [kept] = credentials.items.values()
    assert created["key"].startswith(f"sdag_{created['credential_id']}.")
    assert kept.key_hash == key_hash(created["key"]) and created["key"] not in repr(kept)
    assert "key" not in list_credentials(make_identity(role="operator"), credentials)[0]


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "x" * 65}, {"name": "pc", "key": "mine"}, ["pc"]])
def test_a_credential_needs_a_name_and_nothing_else(body):
    with pytest.raises(errors.DomainError) as refused:
        create_credential(make_identity(), body, FakeAgentCredentials(), FixedClock())
    assert refused.value.code == "invalid_request"


def test_an_operator_card_may_list_but_not_make_or_revoke_credentials():
    credentials, clock, created = made()
    operator = make_identity(role="operator")

    with pytest.raises(errors.DomainError) as refused:
        create_credential(operator, {"name": "pc"}, credentials, clock)
    assert refused.value.code == "legal_card_required"
    with pytest.raises(errors.DomainError):
        revoke_credential(operator, created["credential_id"], credentials, CredentialCheck(credentials), clock)


def test_a_key_signs_the_agent_in_as_its_enterprise_with_the_agent_role():
    credentials, clock, created = made()

    identity = CredentialCheck(credentials, clock).verify(created["key"])

    assert (identity.ent_code, identity.ent_uscc, identity.role) == (ENT_A["code"], ENT_A["uscc"], "agent")
    assert identity.card_no == f"agent:{created['credential_id']}"


@pytest.mark.parametrize(
    "mangle", [lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"), lambda k: k + "x", lambda k: "x"]
)
def test_a_key_that_is_not_the_one_made_is_refused_without_saying_why(mangle):
    credentials, clock, created = made()

    with pytest.raises(errors.DomainError) as refused:
        CredentialCheck(credentials, clock).verify(mangle(created["key"]))
    assert refused.value.kind == "unauthenticated" and refused.value.details == {"reason": "invalid"}


def test_a_credential_is_read_at_most_once_per_check_interval_per_container():
    credentials, clock, created = made()
    check = CredentialCheck(credentials, clock)

    for _ in range(5):
        check.verify(created["key"])
    reads = credentials.reads
    clock.advance(seconds=CHECK_EVERY.total_seconds())
    check.verify(created["key"])

    assert (reads, credentials.reads) == (1, 2)


def test_a_revocation_bites_at_once_where_it_was_made_and_within_the_interval_elsewhere():
    credentials, clock, created = made()
    here, elsewhere = CredentialCheck(credentials, clock), CredentialCheck(credentials, clock)
    here.verify(created["key"]), elsewhere.verify(created["key"])

    revoke_credential(make_identity(), created["credential_id"], credentials, here, clock)

    with pytest.raises(errors.DomainError):
        here.verify(created["key"])
    elsewhere.verify(created["key"])  # still within its interval
    clock.advance(seconds=CHECK_EVERY.total_seconds())
    with pytest.raises(errors.DomainError):
        elsewhere.verify(created["key"])


def test_another_enterprises_credential_is_not_found():
    credentials, clock, created = made()

    with pytest.raises(errors.DomainError) as missing:
        revoke_credential(
            make_identity(ENT_B), created["credential_id"], credentials, CredentialCheck(credentials), clock
        )
    assert missing.value.kind == "not_found" and credentials.items[created["credential_id"]].active
