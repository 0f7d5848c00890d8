"""Tokens: HS256 locally; expired, unsigned, tampered or incomplete tokens are refused."""

from __future__ import annotations

import time

import jwt
import pytest

from chalicelib.adapters.tokens import TokenVerifier, issue_token
from chalicelib.domain.errors import DomainError

SECRET = "unit-test-secret-of-at-least-32-bytes!"
USCC = "91110000600037341L"
verifier = TokenVerifier(secret=SECRET)


def bearer(tok: str) -> str:
    return f"Bearer {tok}"


def refused(header):
    with pytest.raises(DomainError) as exc:
        verifier.verify(header)
    assert exc.value.kind == "unauthenticated"
    return exc.value


def test_a_valid_token_gives_the_enterprise_role_and_card():
    identity = verifier.verify(
        bearer(
            issue_token(
                SECRET, ent_code="1108919038", role="operator", card_no="2110050002046", ent_uscc="91110000600037341L"
            )
        )
    )
    assert (identity.ent_code, identity.role, identity.card_no) == ("1108919038", "operator", "2110050002046")


def test_missing_header_is_refused():
    refused(None)
    refused("Basic abc")


def test_expired_token_is_refused():
    refused(
        bearer(
            issue_token(
                SECRET,
                ent_code="1108919038",
                ent_uscc=USCC,
                role="legal",
                card_no="1",
                now=int(time.time()) - 10,
                ttl_seconds=5,
            )
        )
    )


def test_token_signed_with_another_secret_is_refused():
    refused(
        bearer(
            issue_token(
                "another-secret-of-at-least-32-bytes!!", ent_code="1108919038", ent_uscc=USCC, role="legal", card_no="1"
            )
        )
    )


def test_unsigned_token_is_refused():
    claims = {"sub": "x", "ent_code": "1108919038", "role": "legal", "card_no": "1", "exp": int(time.time()) + 60}
    refused(bearer(jwt.encode(claims, None, algorithm="none")))


@pytest.mark.parametrize("claims", [{"role": "admin"}, {"ent_code": "123"}, {"card_no": ""}])
def test_tokens_with_bad_claims_are_refused(claims):
    base = {
        "sub": "x",
        "ent_code": "1108919038",
        "ent_uscc": USCC,
        "role": "legal",
        "card_no": "1",
        "exp": int(time.time()) + 60,
    }
    refused(bearer(jwt.encode({**base, **claims}, SECRET, algorithm="HS256")))


def test_token_without_expiry_is_refused():
    refused(
        bearer(
            jwt.encode(
                {"sub": "x", "ent_code": "1108919038", "role": "legal", "card_no": "1"}, SECRET, algorithm="HS256"
            )
        )
    )


def test_garbage_is_refused():
    refused("Bearer not.a.jwt")


def test_a_short_hs256_secret_is_refused_at_start():
    with pytest.raises(ValueError):
        TokenVerifier(secret="short")
