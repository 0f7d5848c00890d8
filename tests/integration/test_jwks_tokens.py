"""Deployed mode: tokens verified against the identity provider's JWKS (served here on loopback)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters.tokens import TokenVerifier
from chalicelib.domain.errors import DomainError

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url():
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    server.shutdown()


def sign(key, **claims):
    base = {
        "sub": "u1",
        "ent_code": "1108919038",
        "ent_uscc": "91110000600037341L",
        "role": "operator",
        "card_no": "2110050002046",
        "exp": int(time.time()) + 600,
        "iss": "https://idp.example",
        "aud": "smartdecl",
    }
    merged = {name: value for name, value in {**base, **claims}.items() if value is not None}  # None: left out
    return jwt.encode(merged, key, algorithm="RS256", headers={"kid": "k1"})


def test_a_token_signed_by_the_identity_provider_is_accepted(jwks_url):
    verifier = TokenVerifier(jwks_url=jwks_url, issuer="https://idp.example", audience="smartdecl")
    assert verifier.verify("Bearer " + sign(KEY)).role == "operator"


def test_a_cognito_id_token_with_custom_attributes_is_accepted(jwks_url):
    # Given the claims as a Cognito user pool's ID token carries its custom attributes
    verifier = TokenVerifier(jwks_url=jwks_url, issuer="https://idp.example", audience="smartdecl")
    token = sign(
        KEY,
        **{
            "custom:ent_code": "1108919038",
            "custom:ent_uscc": "91110000600037341L",
            "custom:role": "legal",
            "custom:card_no": "8911020000108",
            "ent_code": None,
            "ent_uscc": None,
            "role": None,
            "card_no": None,
        },
    )
    # Then they name the enterprise, both codes, the role and the card
    identity = verifier.verify("Bearer " + token)
    assert (identity.ent_code, identity.ent_uscc, identity.role, identity.card_no) == (
        "1108919038",
        "91110000600037341L",
        "legal",
        "8911020000108",
    )


@pytest.mark.parametrize(
    "key,claims", [(OTHER_KEY, {}), (KEY, {"iss": "https://evil.example"}), (KEY, {"aud": "other-app"})]
)
def test_tokens_from_another_key_issuer_or_audience_are_refused(jwks_url, key, claims):
    verifier = TokenVerifier(jwks_url=jwks_url, issuer="https://idp.example", audience="smartdecl")
    with pytest.raises(DomainError) as exc:
        verifier.verify("Bearer " + sign(key, **claims))
    assert exc.value.kind == "unauthenticated"


def test_an_hs256_token_is_refused_in_jwks_mode(jwks_url):
    verifier = TokenVerifier(jwks_url=jwks_url)
    forged = jwt.encode(
        {"sub": "x", "ent_code": "1108919038", "role": "legal", "card_no": "1", "exp": int(time.time()) + 60},
        "a-guessed-secret-that-is-long-enough-32",
        algorithm="HS256",
        headers={"kid": "k1"},
    )
    with pytest.raises(DomainError):
        verifier.verify("Bearer " + forged)


def test_the_consoles_cognito_id_token_is_accepted(jwks_url):
    # Given the console's ID token from the Cognito user pool: the enterprise lives in custom:* attributes
    verifier = TokenVerifier(jwks_url=jwks_url, issuer="https://idp.example", audience="smartdecl")
    token = jwt.encode(
        {
            "sub": "u1",
            "custom:ent_code": "1108919038",
            "custom:ent_uscc": "91110000600037341L",
            "custom:role": "legal",
            "custom:card_no": "8911020000108",
            "token_use": "id",
            "exp": int(time.time()) + 600,
            "iss": "https://idp.example",
            "aud": "smartdecl",
        },
        KEY,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    # When it is verified / Then the identity carries them
    identity = verifier.verify("Bearer " + token)
    assert (identity.ent_code, identity.role, identity.card_no) == ("1108919038", "legal", "8911020000108")
    assert identity.ent_uscc == "91110000600037341L"


def test_a_token_without_the_enterprise_claims_is_refused(jwks_url):
    verifier = TokenVerifier(jwks_url=jwks_url)
    with pytest.raises(DomainError) as exc:
        verifier.verify("Bearer " + sign(KEY, ent_code=None, role=None))
    assert exc.value.kind == "unauthenticated"
