"""Token verification: HS256 with a shared secret (local, tests) or the identity provider's JWKS
(deployed: a Cognito user pool's https://cognito-idp.<region>.amazonaws.com[.cn]/<pool>/.well-known/jwks.json).
"""

from __future__ import annotations

import re
from typing import Any

import jwt
from stdnum.cn import uscc as stdnum_uscc

from chalicelib.domain import errors
from chalicelib.domain.identity import Identity

_ENT_CODE = re.compile(r"^[0-9A-Z]{10}$", re.ASCII)
_REQUIRED = ["exp", "sub"]
# Deployed, a Cognito ID token carries the user pool's custom attributes as "custom:<name>".
_CLAIMS = ("ent_code", "ent_uscc", "role", "card_no")


AGENT_KEY_PREFIX = "sdag_"  # an agent credential (services/exchange_credentials.py), never a JWT


def agent_key(authorization: str | None) -> str | None:
    """The agent credential in `Authorization: Bearer sdag_…`, or None when the header holds none
    (a person's token, or nothing). Checked against its credential by the caller."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    token = authorization[len("Bearer ") :].strip()
    return token if token.startswith(AGENT_KEY_PREFIX) else None


class TokenVerifier:
    def __init__(
        self,
        *,
        secret: str | None = None,
        jwks_url: str | None = None,
        issuer: str | None = None,
        audience: str | None = None,
    ) -> None:
        if not secret and not jwks_url:
            raise ValueError("a token verifier needs a secret (hs256) or a JWKS URL")
        if secret and len(secret.encode()) < 32:  # RFC 7518 §3.2: at least the hash size
            raise ValueError("the HS256 secret must have at least 32 bytes")
        self._secret, self._issuer, self._audience = secret, issuer, audience
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None

    def verify(self, authorization: str | None) -> Identity:
        if not authorization or not authorization.startswith("Bearer "):
            raise errors.sign_in_required()
        token = authorization[len("Bearer ") :].strip()
        try:
            if self._jwks is not None:
                key, algorithms = self._jwks.get_signing_key_from_jwt(token).key, ["RS256"]
            else:
                key, algorithms = self._secret, ["HS256"]
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                issuer=self._issuer,
                audience=self._audience,
                options={"require": _REQUIRED, "verify_aud": self._audience is not None},
            )
        except jwt.ExpiredSignatureError as exc:
            raise errors.sign_in_expired() from exc
        except jwt.PyJWTError as exc:  # bad signature, unsigned ("alg": "none"), malformed…: no detail out
            raise errors.token_invalid() from exc
        return _identity(claims)


def _claim(claims: dict[str, Any], name: str) -> Any:
    return claims[name] if name in claims else claims.get(f"custom:{name}")


def _identity(claims: dict[str, Any]) -> Identity:
    ent_code, ent_uscc, role, card_no = (_claim(claims, name) for name in _CLAIMS)
    # An enterprise is its customs code and its credit code together: a token needs both.
    if not isinstance(ent_code, str) or not _ENT_CODE.match(ent_code):
        raise errors.token_invalid()
    if not isinstance(ent_uscc, str) or not stdnum_uscc.is_valid(ent_uscc) or not ent_uscc.isascii():
        raise errors.token_invalid()
    if role not in ("legal", "operator"):
        raise errors.token_invalid()
    if not isinstance(card_no, str) or not card_no:
        raise errors.token_invalid()
    return Identity(ent_code=ent_code, ent_uscc=ent_uscc, role=role, card_no=card_no, sub=str(claims["sub"]))


def issue_token(
    secret: str,
    *,
    ent_code: str,
    role: str,
    card_no: str,
    ent_uscc: str | None,
    sub: str | None = None,
    ttl_seconds: int = 8 * 3600,
    now: int | None = None,
) -> str:
    """A local HS256 token (scripts/issue_token.py, tests). Never used deployed."""
    import time

    issued = int(now if now is not None else time.time())
    claims = {
        "sub": sub or f"{ent_code}:{card_no}",
        "ent_code": ent_code,
        "ent_uscc": ent_uscc,
        "role": role,
        "card_no": card_no,
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm="HS256")
