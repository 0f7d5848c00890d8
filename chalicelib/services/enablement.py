"""Use case: read the notice and the enterprise's enablement; accept the notice (legal card only)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import errors
from chalicelib.domain.enablement import Enablement, notice
from chalicelib.domain.identity import Identity

from .ports import Clock, EnterpriseRepository, UniquenessClash


def get_enablement(identity: Identity, enterprises: EnterpriseRepository) -> dict[str, Any]:
    record = enterprises.get(identity.ent_code)
    if record is not None:
        _require_same_pair(identity, record)
    return _view(identity, record)


def accept_notice(
    identity: Identity, accept: object, enterprises: EnterpriseRepository, clock: Clock
) -> dict[str, Any]:
    if not identity.is_legal:
        raise errors.legal_card_required("智能辅助申报启用", "enable smart declaration")
    existing = enterprises.get(identity.ent_code)
    if existing is not None:
        _require_same_pair(identity, existing)
    if accept is not True:
        raise errors.DomainError(
            "notice_not_accepted",
            "须确认用户须知后方可启用",
            "accept_notice must be true to enable",
            kind="bad_request",
        )
    try:
        record = enterprises.enable(Enablement(identity.ent_code, identity.ent_uscc, identity.card_no, clock()))
    except UniquenessClash as exc:  # the credit code was enabled under another customs code
        raise errors.enterprise_mismatch() from exc
    _require_same_pair(identity, record)
    return _view(identity, record)


def require_enabled(identity: Identity, enterprises: EnterpriseRepository) -> None:
    """Every authenticated route: the enterprise is enabled, and the token's code/credit-code pair is
    the one recorded at enablement (the same read; a mixed pair never passes)."""
    record = enterprises.get(identity.ent_code)
    if record is None:
        raise errors.not_enabled()
    _require_same_pair(identity, record)


def _require_same_pair(identity: Identity, record: Enablement) -> None:
    # A record without a credit code (from before #9) matches no token: scripts/check_tenancy.py lists it.
    if record.ent_uscc is None or record.ent_uscc != identity.ent_uscc:
        raise errors.enterprise_mismatch()


def _view(identity: Identity, record: Enablement | None) -> dict[str, Any]:
    return {
        "ent_code": identity.ent_code,
        "enabled": record is not None,
        "accepted_by": record.accepted_by if record else None,
        "accepted_at": record.accepted_at.isoformat(timespec="seconds").replace("+00:00", "Z") if record else None,
        "notice_version": record.notice_version if record else None,
        "notice": notice(),
    }
