"""Use cases: the parts library (归类, domain/parts.py). Any card reads parts and proposes one (by hand,
or from the past declarations of the same part number); the legal-person card approves or refuses a
proposal. An import fills goods from the approved parts (`fill_records`).

Proposing a part that exists starts a new proposal of it: its history goes on, and it fills no goods
until approved again."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.domain import errors, parts
from chalicelib.domain.advisories import Advisory
from chalicelib.domain.errors import FieldError
from chalicelib.domain.identity import Identity
from chalicelib.domain.parts import Part
from chalicelib.domain.queries import DeclarationQuery
from chalicelib.formats.records import ImportRecord

from . import part_advisories
from .ports import Clock, ConditionFailed, DeclarationRepository, PartsRepository

PAGE = 100
# A part number in a path: letters, digits and . _ - (customers' part numbers with other characters
# are not kept in the library)
PART_NO = part_advisories.PART_NO
STATUSES = (parts.PROPOSED, parts.APPROVED, parts.REFUSED)
# The declarations a proposal from history reads: the latest of each side (declaring unit, consignee)
HISTORY_DECLARATIONS = 100


def list_parts(
    identity: Identity, repo: PartsRepository, status: str | None = None, after: str | None = None
) -> tuple[list[Part], str | None]:
    if status is not None and status not in STATUSES:
        raise errors.invalid_request(
            [FieldError("status", f"status 须为 {'/'.join(STATUSES)}", f"status must be one of {', '.join(STATUSES)}")]
        )
    found = repo.page(identity.ent_code, status, after, PAGE + 1)
    return found[:PAGE], (found[PAGE - 1].part_no if len(found) > PAGE else None)


def get_part(identity: Identity, part_no: str, repo: PartsRepository) -> Part:
    part = repo.get(identity.ent_code, part_no)
    if part is None:
        raise errors.not_found("料号", "part", part_no)
    return part


def propose_part(identity: Identity, body: Any, repo: PartsRepository, clock: Clock) -> Part:
    """A part proposed by hand: {"part_no", "code_ts", "g_name", "g_model", "unit", …}."""
    if not isinstance(body, dict):
        raise errors.invalid_request([FieldError("(body)", "请求体须为JSON对象", "the body must be a JSON object")])
    unknown = sorted(set(body) - {"part_no", *parts.FILLED})
    if unknown:
        raise errors.invalid_request([FieldError(k, f"不是可接受的字段：{k}", f"unknown field: {k}") for k in unknown])
    part_no = _part_no(body.get("part_no"))
    part = parts.propose(identity.ent_code, part_no, body, identity.card_no, clock())
    return _save_proposal(repo, part)


def propose_from_declarations(
    identity: Identity, part_no: str, repo: PartsRepository, declarations: DeclarationRepository, clock: Clock
) -> Part:
    """A part proposed from the latest declarations of the enterprise naming it (goods' exg_no)."""
    part_no = _part_no(part_no)
    now = clock()
    declared: list[tuple[Any, str, dict[str, Any]]] = []
    for side in ("agent", "consignee"):
        query = DeclarationQuery(enterprise_type=side, range="3months", page_size=HISTORY_DECLARATIONS)
        for decl in declarations.query(identity.ent_code, query, query.window(now)).items:
            for item in decl.content.goods:
                if item.exg_no == part_no:
                    declared.append((decl.updated_at, decl.seq_no, item.model_dump(mode="json", exclude_none=True)))
    declared.sort(key=lambda found: found[0], reverse=True)
    unique = {seq_no: (seq_no, item) for _, seq_no, item in declared}  # a declaration once, its first item
    part = parts.propose_from_history(identity.ent_code, part_no, list(unique.values()), identity.card_no, now)
    return _save_proposal(repo, part)


def decide_part(
    identity: Identity, part_no: str, approve: bool, body: Any, repo: PartsRepository, clock: Clock
) -> Part:
    if not identity.is_legal:
        action = ("审核通过", "approve parts") if approve else ("驳回", "refuse parts")
        raise errors.legal_card_required(f"归类料号的{action[0]}", action[1])
    note = body.get("note") if isinstance(body, dict) else None
    if note is not None and (not isinstance(note, str) or len(note) > 200):
        raise errors.invalid_request(
            [FieldError("note", "note 须为至多200个字符", "note must be at most 200 characters")]
        )
    current = get_part(identity, part_no, repo)
    decided = parts.decide(current, approve, identity.card_no, clock(), note)
    try:
        repo.save(decided, current)
    except ConditionFailed as exc:
        raise _changed(part_no) from exc
    return decided


def fill_records(identity: Identity, records: list[ImportRecord], repo: PartsRepository) -> dict[int, list[Advisory]]:
    """Fills the goods of each readable record from the enterprise's approved parts (by exg_no); the
    advisories of the goods that differ from their part, by record index."""
    goods_of = {
        index: record.raw["goods"]
        for index, record in enumerate(records)
        if not record.read_errors and isinstance(record.raw, dict) and isinstance(record.raw.get("goods"), list)
    }
    wanted = {
        str(item["exg_no"]).strip()
        for goods in goods_of.values()
        for item in goods
        if isinstance(item, dict) and isinstance(item.get("exg_no"), str) and PART_NO.fullmatch(item["exg_no"].strip())
    }
    if not wanted:
        return {}
    library = {n: p for n, p in repo.get_many(identity.ent_code, wanted).items() if p.status == parts.APPROVED}
    found = {index: parts.fill(goods, library) for index, goods in goods_of.items()} if library else {}
    return {index: advisories for index, advisories in found.items() if advisories}


def _part_no(value: Any) -> str:
    if not isinstance(value, str) or not PART_NO.fullmatch(value.strip()):
        raise errors.invalid_request(
            [
                FieldError(
                    "part_no",
                    "料号须为1至32个字母、数字或 . _ -",
                    "part_no must be 1 to 32 letters, digits or . _ -",
                )
            ]
        )
    return value.strip()


def _save_proposal(repo: PartsRepository, part: Part) -> Part:
    current = repo.get(part.ent_code, part.part_no)
    if current is not None:  # a new proposal of a known part: its history goes on
        part = replace(part, history=(*current.history, *part.history), version=current.version + 1)
    try:
        repo.save(part, current)
    except ConditionFailed as exc:
        raise _changed(part.part_no) from exc
    return part


def _changed(part_no: str) -> errors.DomainError:
    return errors.state_conflict(
        "料号已被其他操作修改，请刷新后重试", "The part was changed meanwhile; reload and retry", {"part_no": part_no}
    )
