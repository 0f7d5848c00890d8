"""Use cases: agent credentials (an enterprise's key for its `smartdecl agent`), and the API's check of
one (`Authorization: Bearer sdag_<credential_id>.<secret>`).

The key is shown once, when it is made; only its SHA-256 is kept (the secret is 256 random bits, so
a plain hash is as strong as a slow one). A credential is read at most every CHECK_EVERY per
container: a revocation bites everywhere within that time, and at once in the container that made it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import errors
from chalicelib.domain.errors import FieldError
from chalicelib.domain.identity import Identity
from chalicelib.domain.timestamps import iso

from .exchange_ports import AgentCredentials, Credential
from .ports import Clock, utc_now

KEY_PREFIX = "sdag_"
CHECK_EVERY = timedelta(seconds=10)  # revocation must bite within a minute
_KEY = re.compile(r"^sdag_([A-Z0-9]{12,32})\.([A-Za-z0-9_-]{20,128})$")
MAX_NAME = 64


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> tuple[str, str]:
    """(credential_id, key): the id is what lists show; the key is shown once."""
    credential_id = "AG" + secrets.token_hex(8).upper()
    return credential_id, f"{KEY_PREFIX}{credential_id}.{secrets.token_urlsafe(32)}"


def agent_forbidden() -> errors.DomainError:
    return errors.DomainError(
        "agent_not_allowed",
        "代理凭证只能用于报文客户端代理的接口(/agent/)",
        "An agent credential reaches only the agent's routes (/agent/)",
        kind="forbidden",
    )


def agent_credential_required() -> errors.DomainError:
    return errors.DomainError(
        "agent_credential_required",
        "此接口仅供报文客户端代理使用，请使用代理凭证(sdag_…)",
        "This route is the agent's: use an agent credential (sdag_…)",
        kind="forbidden",
    )


def _legal(identity: Identity, zh: str, en: str) -> None:
    if not identity.is_legal:
        raise errors.legal_card_required(zh, en)


def view(credential: Credential) -> dict[str, Any]:
    """A credential as people see it: never the key, nor its hash."""
    return {
        "credential_id": credential.credential_id,
        "name": credential.name,
        "active": credential.active,
        "created_at": iso(credential.created_at),
        "created_by": credential.created_by,
        "revoked_at": iso(credential.revoked_at),
        "last_contact_at": iso(credential.last_contact_at),
        "hostname": credential.hostname,
        "agent_version": credential.agent_version,
    }


def create_credential(identity: Identity, body: Any, credentials: AgentCredentials, clock: Clock) -> dict[str, Any]:
    """A new credential for the enterprise's agent (legal card); the answer holds the key, this once."""
    _legal(identity, "创建报文客户端代理凭证", "create an agent credential")
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(body, dict) or set(body) - {"name"}:
        raise errors.invalid_request([FieldError("(body)", "只接受 name 字段", "only 'name' is taken")])
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        raise errors.invalid_request(
            [FieldError("name", f"名称必填，最多{MAX_NAME}个字符", f"name is required, at most {MAX_NAME} characters")]
        )
    credential_id, key = new_key()
    credential = Credential(
        credential_id=credential_id,
        ent_code=identity.ent_code,
        ent_uscc=identity.ent_uscc,
        name=name.strip(),
        key_hash=key_hash(key),
        created_at=clock(),
        created_by=identity.card_no,
    )
    credentials.add(credential)
    return {**view(credential), "key": key}


def list_credentials(identity: Identity, credentials: AgentCredentials) -> list[dict[str, Any]]:
    return [view(c) for c in credentials.list(identity.ent_code)]


def revoke_credential(
    identity: Identity, credential_id: str, credentials: AgentCredentials, check: CredentialCheck, clock: Clock
) -> None:
    _legal(identity, "吊销报文客户端代理凭证", "revoke an agent credential")
    found = credentials.get(credential_id)
    if found is None or found.ent_code != identity.ent_code:
        raise errors.not_found("代理凭证", "agent credential", credential_id)
    credentials.revoke(credential_id, clock())
    check.forget(credential_id)


class CredentialCheck:
    """Agent keys checked against their credential, read at most every `every` per container."""

    def __init__(self, credentials: AgentCredentials, clock: Clock = utc_now, every: timedelta = CHECK_EVERY) -> None:
        self._credentials, self._clock, self._every = credentials, clock, every
        self._read: dict[str, tuple[Credential | None, datetime]] = {}
        self._lock = threading.Lock()  # the local API serves requests on threads

    def verify(self, key: str) -> Identity:
        """The agent's identity: its enterprise, role `agent`. Unauthenticated for a key that is not
        one, another's, or revoked: the answer never says which."""
        match = _KEY.match(key)
        if match is None:
            raise errors.token_invalid()
        credential = self._credential(match.group(1))
        if credential is None or not credential.active or not hmac.compare_digest(credential.key_hash, key_hash(key)):
            raise errors.token_invalid()
        return Identity(
            ent_code=credential.ent_code,
            ent_uscc=credential.ent_uscc,
            role="agent",
            card_no=f"agent:{credential.credential_id}",
            sub=f"agent:{credential.credential_id}",
        )

    def forget(self, credential_id: str) -> None:
        with self._lock:
            self._read.pop(credential_id, None)

    def _credential(self, credential_id: str) -> Credential | None:
        now = self._clock()
        with self._lock:
            cached = self._read.get(credential_id)
        if cached is not None and now - cached[1] < self._every:
            return cached[0]
        found = self._credentials.get(credential_id)
        with self._lock:
            if len(self._read) > 1000:  # a flood of made-up ids must not grow it without bound
                self._read.clear()
            self._read[credential_id] = (found, now)
        return found


def credential_id_of(identity: Identity) -> str:
    return identity.card_no.removeprefix("agent:")
