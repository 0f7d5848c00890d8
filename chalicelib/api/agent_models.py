"""The exchange channel's bodies (docs/customs-channel.md), for the OpenAPI document: the agent's
routes and a person's (credentials, 报文客户端状态). Answers forbid unknown keys, as models.py's do."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.declaration import Timestamp
from chalicelib.domain.exchange import MAX_TAKE

from .models import OnePage

Sha256 = str


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- the agent's ---------------------------------------------------------------------------


class OutboxMessage(_Body):
    client_seq_no: str
    send_no: int = Field(ge=1)
    ie_flag: Literal["I", "E"]
    message_version: str
    xml_base64: str = Field(description="the DecMessage, the same bytes every time the send is handed out")
    sha256: Sha256 = Field(description="of the XML, never of the zip")
    lease_token: str
    lease_expires_at: Timestamp
    first_try: int = Field(ge=1, description="the try number of the send's first file (I_<ClientSeqNo>_t-<try>)")


class OutboxPage(_Body):
    messages: list[OutboxMessage] = Field(max_length=MAX_TAKE)


class Written(_Body):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    lease_token: str | None
    file_name: str = Field(min_length=1, max_length=255)
    sha256: Sha256 = Field(pattern="^[0-9a-fA-F]{64}$")
    try_: int = Field(alias="try", ge=1)


class SendEvent(_Body):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    kind: Literal["sent", "send_failed", "gave_up"]
    try_: int = Field(alias="try", ge=1)
    file_name: str = Field(min_length=1, max_length=255)
    at: str
    detail: str | None = Field(default=None, max_length=500)


class SendAnswer(_Body):
    state: str = Field(description="written, sent, … or how the send was answered (accepted, refused, gave_up …)")


class InboxResult(_Body):
    receipt_id: str = Field(description="the file's: SHA-256 of its name and its SHA-256")
    kind: Literal["import_response", "card_failure", "dec_result", "agreement", "unknown"]
    outcome: Literal["applied", "duplicate", "unmatched", "conflict", "kept"]
    seq_no: str | None


class Folder(_Body):
    count: int = Field(ge=0)
    oldest_age_seconds: float | None = Field(ge=0)


class Heartbeat(BaseModel):
    """Keys beyond these are ignored (a newer agent may say more)."""

    agent_version: str | None = None
    hostname: str | None = None
    started_at: str | None = None
    clock: str | None = None
    folders: dict[Literal["outbox", "sentbox", "failbox", "inbox", "quarantine"], Folder] = Field(default_factory=dict)
    client: Literal["up", "down", "unknown"] = "unknown"
    journal: dict[str, Any] = Field(default_factory=dict)


class HeartbeatAnswer(_Body):
    server_time: Timestamp
    poll_seconds: int


# ---- a person's ----------------------------------------------------------------------------


class NewCredential(_Body):
    name: str = Field(min_length=1, max_length=64, description="where the agent runs, e.g. the broker's PC")


class AgentCredential(_Body):
    credential_id: str
    name: str
    active: bool
    created_at: Timestamp
    created_by: str
    revoked_at: Timestamp | None
    last_contact_at: Timestamp | None
    hostname: str | None
    agent_version: str | None
    key: str | None = Field(default=None, description="sdag_<credential_id>.<secret>: in the create answer only")


class AgentCredentialPage(_Body):
    items: list[AgentCredential]
    total: int
    next_cursor: OnePage = None  # never a field typed null alone: openapi-generator cannot declare one


class AgentView(_Body):
    state: Literal["online", "silent", "never_seen"]
    label_zh: str
    label_en: str
    last_contact_at: Timestamp | None
    agent_version: str | None
    hostname: str | None
    started_at: str | None
    credential_id: str | None


class ClientView(_Body):
    state: Literal["up", "down", "unknown"]
    label_zh: str
    label_en: str
    outbox_files: int | None
    oldest_outbox_age_seconds: float | None
    down_since: str | None


class OutboxCounts(_Body):
    queued: int
    taken: int
    written: int
    sent: int


class KeptFile(_Body):
    file_id: str
    file_name: str
    file_sha256: str
    kind: str
    root: str
    client_seq_no: str | None
    received_at: Timestamp | None
    text: str


class CustomsChannel(_Body):
    """报文客户端状态: the channel, the agent, the Single Window client, the outbox, kept InBox files."""

    channel: Literal["exchange", "http"]
    agent: AgentView
    client: ClientView
    folders: dict[str, Folder]
    outbox: OutboxCounts
    kept_files: list[KeptFile]


RESPONSES: tuple[type[BaseModel], ...] = (
    OutboxPage,
    SendAnswer,
    InboxResult,
    HeartbeatAnswer,
    AgentCredential,
    AgentCredentialPage,
    CustomsChannel,
)
REQUESTS: tuple[type[BaseModel], ...] = (Written, SendEvent, Heartbeat, NewCredential)
