"""The service's side as the agent sees it: the agent's routes of docs/customs-channel.md over the
shared HTTP client. Every route here may be sent twice without doing anything twice, so POSTs are
retried like GETs."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from smartdecl_client import ApiError, Client

from . import __version__
from .package import sha256

_SEQ_NO = re.compile(r"^[0-9A-Za-z]{1,40}$")


class BadMessage(Exception):
    """An outbox message the agent will not write (its bytes do not match its sha256, a bad name)."""


class UnreadableFile(Exception):
    """The service could not read an InBox file (422 unreadable_file): it goes to quarantine."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message_en)
        self.error = error


@dataclass(frozen=True)
class OutboxMessage:
    client_seq_no: str
    send_no: int
    ie_flag: str
    message_version: str
    message: bytes
    sha256: str
    lease_token: str
    lease_expires_at: str
    first_try: int


class ExchangeApi:
    def __init__(self, client: Client) -> None:
        self.client = client

    @classmethod
    def connect(cls, url: str, credential: str, **client_options: Any) -> ExchangeApi:
        # few retries within a call: the loop itself tries again at its next pass
        options = {"retries": 2, "backoff_seconds": 0.5, **client_options}
        return cls(Client(url, credential, user_agent=f"smartdecl-agent/{__version__}", **options))

    def take(self, max_messages: int) -> list[OutboxMessage | BadMessage]:
        """The messages leased to this agent; one it cannot read comes back as its BadMessage."""
        answer = self.client.get("/agent/outbox", {"max": max_messages}) or {}
        taken: list[OutboxMessage | BadMessage] = []
        for item in answer.get("messages") or []:
            try:
                taken.append(_message(item))
            except BadMessage as exc:
                taken.append(exc)
        return taken

    def written(
        self, client_seq_no: str, send_no: int, *, lease_token: str | None, file_name: str, sha: str, try_no: int
    ) -> dict[str, Any]:
        body = {"lease_token": lease_token, "file_name": file_name, "sha256": sha, "try": try_no}
        return self.client.post(f"/agent/outbox/{client_seq_no}/{send_no}/written", body, idempotent=True) or {}

    def event(
        self,
        client_seq_no: str,
        send_no: int,
        *,
        kind: str,
        try_no: int,
        file_name: str,
        at: datetime,
        detail: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": kind, "try": try_no, "file_name": file_name, "at": at.isoformat()}
        if detail:
            body["detail"] = detail
        return self.client.post(f"/agent/outbox/{client_seq_no}/{send_no}/events", body, idempotent=True) or {}

    def inbox(self, file_name: str, data: bytes, sha: str) -> dict[str, Any]:
        headers = {
            "Content-Type": "application/octet-stream",
            # a header is Latin-1: the name travels percent-encoded (UTF-8), as a URL path would
            "X-Smartdecl-File-Name": quote(file_name, safe=""),
            "X-Smartdecl-File-Sha256": sha,
        }
        try:
            return self.client.request("POST", "/agent/inbox", data=data, headers=headers, idempotent=True) or {}
        except ApiError as exc:
            if exc.status == 422 and exc.code == "unreadable_file":
                raise UnreadableFile(exc) from exc
            raise

    def heartbeat(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.client.post("/agent/heartbeat", body, idempotent=True) or {}


def _message(item: dict[str, Any]) -> OutboxMessage:
    try:
        client_seq_no = str(item["client_seq_no"])
        ie_flag = str(item["ie_flag"]).upper()
        message = base64.b64decode(item["xml_base64"], validate=True)
        declared = str(item["sha256"]).lower()
        built = OutboxMessage(
            client_seq_no=client_seq_no,
            send_no=int(item["send_no"]),
            ie_flag=ie_flag,
            message_version=str(item.get("message_version") or ""),
            message=message,
            sha256=declared,
            lease_token=str(item["lease_token"]),
            lease_expires_at=str(item.get("lease_expires_at") or ""),
            first_try=int(item.get("first_try") or 1),
        )
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise BadMessage(f"an outbox message the agent cannot read: {exc!r}") from exc
    if not _SEQ_NO.match(client_seq_no) or ie_flag not in ("I", "E") or built.first_try < 1 or built.send_no < 1:
        raise BadMessage(f"an outbox message with a bad identity: {client_seq_no!r} {ie_flag!r}")
    if sha256(message) != declared:
        raise BadMessage(f"{client_seq_no}/{built.send_no}: the message's bytes do not match its sha256")
    return built
