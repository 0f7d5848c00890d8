"""Use cases: read, query, replace and delete one enterprise's declarations."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from chalicelib.domain import classification, errors
from chalicelib.domain.declaration import Declaration, field_errors, initial_tax_status, parse_content
from chalicelib.domain.identity import Identity
from chalicelib.domain.marking import edit_refusal
from chalicelib.domain.queries import DeclarationQuery
from chalicelib.domain.tenancy import bind_to_importer, owns

from .ports import Clock, ConditionFailed, DeclarationRepository, Page


def visible_to(identity: Identity, decl: Declaration) -> bool:
    """An enterprise sees the declarations it imported, nobody else's (domain/tenancy.py)."""
    return owns(identity, decl)


def get_declaration(identity: Identity, seq_no: str, repo: DeclarationRepository) -> Declaration:
    decl = repo.get(seq_no)
    if decl is None or not visible_to(identity, decl):
        raise errors.not_found("报关单", "declaration", seq_no)
    return decl


def query_declarations(identity: Identity, params: dict[str, Any], repo: DeclarationRepository, clock: Clock) -> Page:
    try:
        query = DeclarationQuery.model_validate(params)
    except ValidationError as exc:
        raise errors.invalid_request(field_errors(exc)) from exc
    return repo.query(identity.ent_code, query, query.window(clock()))


def replace_declaration(
    identity: Identity, seq_no: str, body: Any, repo: DeclarationRepository, clock: Clock
) -> Declaration:
    current = get_declaration(identity, seq_no, repo)
    if isinstance(body, dict) and body.get("seq_no") not in (None, seq_no):
        raise errors.invalid_request(
            [errors.FieldError("seq_no", "请求体中的统一编号与路径不一致", "seq_no in the body differs from the path")]
        )
    if isinstance(body, dict) and body.get("source_seq_no") not in (None, current.content.source_seq_no):
        raise errors.invalid_request(
            [
                errors.FieldError(
                    "source_seq_no", "来源统一编号不能修改", "source_seq_no cannot change (it is claimed at import)"
                )
            ]
        )
    content, errs = parse_content(
        {**body, "seq_no": seq_no, "source_seq_no": current.content.source_seq_no} if isinstance(body, dict) else body
    )
    side = None
    if content is not None:
        errs = classification.import_errors(content)  # an HS code that does not exist
    if content is not None and not errs:
        content, side, errs = bind_to_importer(identity, content)
    if errs or content is None:
        raise errors.invalid_request(errs)
    if content.ie_flag != current.ie_flag:
        raise errors.invalid_request(
            [errors.FieldError("ie_flag", "不能修改进出口标志", "ie_flag cannot change (it is part of seq_no)")]
        )
    _require_editable(current)
    updated = current.with_changes(
        content=content,
        owner_side=side,
        updated_at=clock(),
        card_no=identity.card_no,
        tax_status=initial_tax_status(content),
        version=current.version + 1,
    )
    try:
        repo.replace(updated, expected_version=current.version)
    except ConditionFailed as exc:
        raise _changed(seq_no) from exc
    return updated


def delete_declaration(identity: Identity, seq_no: str, repo: DeclarationRepository) -> None:
    current = get_declaration(identity, seq_no, repo)
    _require_editable(current)
    try:
        repo.delete(current)
    except ConditionFailed as exc:
        raise _changed(seq_no) from exc


def _require_editable(decl: Declaration) -> None:
    refusal = edit_refusal(decl)
    if refusal:
        raise errors.state_conflict(refusal.message_zh, refusal.message_en, refusal.as_dict())


def _changed(seq_no: str) -> errors.DomainError:
    return errors.state_conflict(
        "报关单已被其他操作修改，请刷新后重试",
        "The declaration changed meanwhile; reload and retry",
        {"seq_no": seq_no},
    )
