"""Configs (预配置): the rule set that decides which declarations go and what is checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictBool, StrictInt, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from .declaration import NON_BLANK, Party, _Model, visible_text
from .identity import Identity, PartyMatch

CardNo = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[0-9A-Za-z]+$")
]


class ConfigContent(_Model):
    """The JSON of shared/examples/config.json (what a legal-person card sends)."""

    # _mode_fields below, told to the JSON schema (the OpenAPI document is generated from it)
    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "if": {"properties": {"effective_by": {"const": "enterprise"}}},
                    "then": {"required": ["agent"], "properties": {"agent": {"type": "object"}}},
                },
                {
                    "if": {"properties": {"effective_by": {"const": "user"}}},
                    "then": {"required": ["operator_cards"], "properties": {"operator_cards": {"minItems": 1}}},
                },
            ]
        }
    )

    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), visible_text(), NON_BLANK
    ]
    enabled: StrictBool = True
    ie_flag: Literal["I", "E"]
    effective_by: Literal["enterprise", "user"]
    agent: Party | None = None
    consignee: Party | None = None
    operator_cards: list[CardNo] = Field(default_factory=list, max_length=100, json_schema_extra={"uniqueItems": True})
    auxiliary_confirm: StrictBool = False
    auto_agency_agreement: StrictBool = False
    require_manifest: StrictBool = False
    require_arrival: StrictBool = False
    compare_manifest: StrictBool = False
    batch_wait_seconds: StrictInt = Field(default=60, ge=5, le=86_400)
    # a waiting declaration (manifest, arrival, tax, prompts, customs down) is re-checked after
    # this at the latest; sooner when what it waits for changes (a confirmation, customs back)
    recheck_seconds: StrictInt = Field(default=300, ge=5, le=86_400)

    @model_validator(mode="after")
    def _mode_fields(self) -> ConfigContent:
        if self.effective_by == "enterprise" and self.agent is None:
            raise PydanticCustomError("config_agent", "agent is required when effective_by is enterprise")
        if self.effective_by == "user" and not self.operator_cards:
            raise PydanticCustomError("config_cards", "operator_cards is required when effective_by is user")
        if len(set(self.operator_cards)) != len(self.operator_cards):
            raise PydanticCustomError("config_cards_dup", "operator_cards has duplicates")
        return self

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


@dataclass(frozen=True)
class Config:
    config_id: str
    ent_code: str  # the tenant that owns it
    content: ConfigContent
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int = 1

    def as_json(self) -> dict[str, Any]:
        body = {"config_id": self.config_id}
        body.update(self.content.as_json())
        body.update(
            created_by=self.created_by,
            created_at=self.created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            updated_at=self.updated_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        )
        return body


def owned_by(identity: Identity, content: ConfigContent) -> bool:
    """An enterprise may configure itself as the declaring unit or as the consignee.

    A party naming our customs code with another credit code (or the reverse) never counts as ours.
    """
    parties = [p for p in (content.agent, content.consignee) if p is not None]
    if any(identity.match_party(p.code, p.uscc) is PartyMatch.CONFLICT for p in parties):
        return False
    if content.effective_by == "user":
        return content.agent is None or identity.is_party(content.agent.code, content.agent.uscc)
    return any(identity.is_party(p.code, p.uscc) for p in parties)


def _ids(party: Party | None) -> list[str]:
    if party is None:
        return ["*"]
    return [f"{kind}:{value}" for kind, value in (("code", party.code), ("uscc", party.uscc)) if value]


def uniqueness_keys(content: ConfigContent) -> set[str]:
    """The claims an *enabled* config holds; two enabled configs may never share one.

    Seed rule: per declaring unit, one enabled config per consignee and import/export flag.
    A party given by both codes claims both, so the same consignee named once by customs code
    and once by USCC still clashes. By-user configs claim their cards per flag, so one marking
    card never falls under two configs.
    """
    if not content.enabled:
        return set()
    if content.effective_by == "user":
        return {f"user#{card}#{content.ie_flag}" for card in content.operator_cards}
    agent = content.agent.code or content.agent.uscc  # type: ignore[union-attr]
    return {f"ent#{agent}#{consignee}#{content.ie_flag}" for consignee in _ids(content.consignee)}
