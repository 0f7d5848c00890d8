"""The agents table (dynamo_models.AgentModel): agent credentials, each enterprise's customs channel,
and DEC_RESULT files parked until the DecImportResponse names their SeqNo. Every access by key:

- a credential: GetItem ("cred#<id>", "cred"); an enterprise's: Query by_enterprise (cred_ent);
- a channel: GetItem ("channel#<ent>", "channel"), several in one BatchGetItem; written with a version;
- parked files: Query ("parked#<ent>#<SeqNo>"); each expires (TTL) if never claimed;
- kept files (unknown, unmatched): Query ("kept#<ent>", newest first); each once ("keptid#<ent>#<id>").
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.services.exchange_ports import (
    AgentCredentials,
    Credential,
    CustomsChannels,
    InboxFiles,
    SendMoved,
)

from .conditions import cancelled_by_condition, condition_failed
from .dynamo_models import AgentModel as A
from .dynamo_models import connection

PARKED_FOR = timedelta(days=14)  # a receipt whose DecImportResponse never came is kept in the receipts table too


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z") if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _credential_key(credential_id: str) -> tuple[str, str]:
    return f"cred#{credential_id}", "cred"


def _channel_key(ent_code: str) -> tuple[str, str]:
    return f"channel#{ent_code}", "channel"


class DynamoAgentCredentials(AgentCredentials):
    def add(self, credential: Credential) -> None:
        pk, sk = _credential_key(credential.credential_id)
        body = {
            "credential_id": credential.credential_id,
            "ent_uscc": credential.ent_uscc,
            "name": credential.name,
            "created_by": credential.created_by,
        }
        item = A(
            pk,
            sk,
            ent_code=credential.ent_code,
            cred_ent=credential.ent_code,
            created_at=iso(credential.created_at),
            body=json.dumps(body, ensure_ascii=False),
            key_hash=credential.key_hash,
        )
        try:
            item.save(condition=A.pk.does_not_exist())
        except PutError as exc:
            if condition_failed(exc):
                raise ValueError(f"credential {credential.credential_id} exists") from exc
            raise

    def get(self, credential_id: str) -> Credential | None:
        try:
            return _credential(A.get(*_credential_key(credential_id), consistent_read=True))
        except DoesNotExist:
            return None

    def list(self, ent_code: str) -> list[Credential]:
        return [_credential(item) for item in A.by_enterprise.query(ent_code)]

    def revoke(self, credential_id: str, at: datetime) -> None:
        try:  # the first revocation's time stays
            A(*_credential_key(credential_id)).update(
                actions=[A.revoked_at.set(iso(at) or "")], condition=A.pk.exists() & A.revoked_at.does_not_exist()
            )
        except UpdateError as exc:
            if not condition_failed(exc):
                raise

    def contact(self, credential_id: str, at: datetime, hostname: str | None, agent_version: str | None) -> None:
        found = self.get(credential_id)
        if found is None:
            return
        body = {**_body(found), "hostname": hostname, "agent_version": agent_version}
        try:
            A(*_credential_key(credential_id)).update(
                actions=[A.last_contact_at.set(iso(at) or ""), A.body.set(json.dumps(body, ensure_ascii=False))],
                condition=A.pk.exists(),
            )
        except UpdateError as exc:
            if not condition_failed(exc):
                raise


def _body(credential: Credential) -> dict[str, Any]:
    return {
        "credential_id": credential.credential_id,
        "ent_uscc": credential.ent_uscc,
        "name": credential.name,
        "created_by": credential.created_by,
    }


def _credential(item: A) -> Credential:
    body = json.loads(item.body or "{}")
    return Credential(
        credential_id=body["credential_id"],
        ent_code=item.ent_code or "",
        ent_uscc=body.get("ent_uscc"),
        name=body.get("name") or "",
        key_hash=item.key_hash or "",
        created_at=_dt(item.created_at) or datetime.now(UTC),
        created_by=body.get("created_by") or "",
        revoked_at=_dt(item.revoked_at),
        last_contact_at=_dt(item.last_contact_at),
        hostname=body.get("hostname"),
        agent_version=body.get("agent_version"),
    )


class DynamoCustomsChannels(CustomsChannels):
    def get(self, ent_code: str) -> tuple[dict[str, Any], int] | None:
        try:
            item = A.get(*_channel_key(ent_code), consistent_read=True)
        except DoesNotExist:
            return None
        return json.loads(item.body or "{}"), int(item.version or 0)

    def get_many(self, ent_codes: Sequence[str]) -> dict[str, tuple[dict[str, Any], int]]:
        found: dict[str, tuple[dict[str, Any], int]] = {}
        wanted = list(dict.fromkeys(ent_codes))
        client = connection(A.Meta.region).client
        for start in range(0, len(wanted), 100):
            keys = [{"pk": {"S": _channel_key(e)[0]}, "sk": {"S": "channel"}} for e in wanted[start : start + 100]]
            request: dict[str, Any] = {A.Meta.table_name: {"Keys": keys}}
            for attempt in range(8):
                answer = client.batch_get_item(RequestItems=request)
                for raw in answer.get("Responses", {}).get(A.Meta.table_name, []):
                    item = A.from_raw_data(raw)
                    found[item.ent_code or ""] = (json.loads(item.body or "{}"), int(item.version or 0))
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(min(1.0, 0.05 * 2**attempt))
        return found

    def save(self, ent_code: str, fields: dict[str, Any], expected_version: int | None) -> None:
        pk, sk = _channel_key(ent_code)
        item = A(
            pk,
            sk,
            ent_code=ent_code,
            body=json.dumps(fields, ensure_ascii=False, default=str),
            version=(expected_version or 0) + 1,
            last_contact_at=fields.get("last_contact_at"),
        )
        condition = A.pk.does_not_exist() if expected_version is None else A.version == expected_version
        try:
            item.save(condition=condition)
        except PutError as exc:
            if condition_failed(exc):
                raise SendMoved(f"channel {ent_code}") from exc
            raise


class DynamoInboxFiles(InboxFiles):
    def park(
        self, ent_code: str, customs_seq_no: str, file_id: str, file_name: str, data: bytes, now: datetime
    ) -> None:
        A(
            f"parked#{ent_code}#{customs_seq_no}",
            file_id,
            ent_code=ent_code,
            created_at=iso(now),
            body=json.dumps({"file_name": file_name}, ensure_ascii=False),
            file=base64.b64encode(data).decode("ascii"),
            expires_at=int((now + PARKED_FOR).timestamp()),
        ).save()

    def parked(self, ent_code: str, customs_seq_no: str) -> list[tuple[str, str, bytes]]:
        return [
            (item.sk, json.loads(item.body or "{}").get("file_name", ""), base64.b64decode(item.file or ""))
            for item in A.query(f"parked#{ent_code}#{customs_seq_no}", consistent_read=True)
        ]

    def unpark(self, ent_code: str, customs_seq_no: str, file_id: str) -> None:
        A(f"parked#{ent_code}#{customs_seq_no}", file_id).delete()

    def keep(self, ent_code: str, file_id: str, file: dict[str, Any], now: datetime) -> bool:
        # sk: time first, so the enterprise's kept files read newest first by key
        item = A(
            f"kept#{ent_code}",
            f"{iso(now)}#{file_id}",
            ent_code=ent_code,
            created_at=iso(now),
            body=json.dumps({**file, "file_id": file_id}, ensure_ascii=False),
        )
        claim = A(f"keptid#{ent_code}#{file_id}", "kept", ent_code=ent_code, created_at=iso(now))
        try:  # the file's id once, and its listing with it
            with TransactWrite(connection=connection(A.Meta.region)) as tx:
                tx.save(claim, condition=A.pk.does_not_exist())
                tx.save(item)
        except TransactWriteError as exc:
            if any(cancelled_by_condition(exc)):
                return False
            raise
        return True

    def kept(self, ent_code: str, limit: int = 50) -> list[dict[str, Any]]:
        items = A.query(f"kept#{ent_code}", scan_index_forward=False, limit=limit)
        return [json.loads(item.body or "{}") for item in items]
