"""Use case: import declarations (JSON, Excel or DecMessage XML, already read into records).

Each record is accepted whole or refused whole; the answer lists both. Imported declarations
are temp-saved (暂存), marked or not, and get a seq_no when they came without one.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.declaration import (Declaration, DeclarationContent, initial_tax_status,
                                           parse_content)
from chalicelib.domain.errors import FieldError
from chalicelib.domain.identity import Identity

from .ports import Clock, DeclarationRepository, SeqNoAllocator


@dataclass
class ImportRecord:
    """One declaration as read from a request or a file, before validation."""

    raw: Any
    source: str | None = None  # e.g. "DecMessage 2" or "报关单表头 row 3"
    read_errors: list[FieldError] = field(default_factory=list)


@dataclass
class ImportResult:
    accepted: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "rejected": self.rejected}


def import_declarations(identity: Identity, records: list[ImportRecord], smart_mark: bool,
                        repo: DeclarationRepository, allocator: SeqNoAllocator,
                        clock: Clock) -> ImportResult:
    result = ImportResult()
    valid: list[tuple[int, ImportRecord, DeclarationContent]] = []
    seen: set[str] = set()
    for index, record in enumerate(records):
        content, errs = (None, record.read_errors) if record.read_errors else parse_content(record.raw)
        if content is not None:
            content, errs = _own_side(identity, content)
        if content is not None and content.seq_no:
            if content.seq_no in seen:
                errs = [FieldError("seq_no", "统一编号在本次导入中重复", "seq_no appears twice in this import")]
            seen.add(content.seq_no)
        if errs:
            result.rejected.append(_rejection(index, record, errs))
        else:
            valid.append((index, record, content))

    now = clock()
    fresh = _allocate(allocator, [c for _, _, c in valid if not c.seq_no], now.year)
    declarations: list[tuple[int, ImportRecord, Declaration]] = []
    for index, record, content in valid:
        seq_no = content.seq_no or fresh[content.ie_flag].pop(0)
        content = content.model_copy(update={"seq_no": seq_no})
        declarations.append((index, record, Declaration(
            content=content, seq_no=seq_no, owner_ent=identity.ent_code, created_by=identity.card_no,
            created_at=now, updated_at=now, smart_mark=smart_mark,
            marked_by=identity.card_no if smart_mark else None, marked_at=now if smart_mark else None,
            tax_status=initial_tax_status(content), card_no=identity.card_no)))

    existing = set(repo.add_many([d for _, _, d in declarations]))
    for index, record, decl in declarations:
        if decl.seq_no in existing:
            result.rejected.append(_rejection(index, record, [FieldError(
                "seq_no", f"统一编号(seq_no)已存在：{decl.seq_no}", f"seq_no already exists: {decl.seq_no}")]))
        else:
            result.accepted.append(decl.seq_no)
    result.rejected.sort(key=lambda r: r["index"])
    return result


def _own_side(identity: Identity, content: DeclarationContent) -> tuple[DeclarationContent | None, list[FieldError]]:
    """The importer must be the declaring unit or the consignee; fill its missing code or USCC."""
    updates = {}
    for role in ("agent", "consignee"):
        party = getattr(content, role)
        if identity.is_party(party.code, party.uscc):
            updates[role] = party.model_copy(update={"code": party.code or identity.ent_code,
                                                     "uscc": party.uscc or identity.ent_uscc})
    if not updates:
        return None, [FieldError("agent", "申报单位或境内收发货人须为本企业",
                                 "the declaring unit (agent) or the consignee must be your enterprise")]
    return content.model_copy(update=updates), []


def _allocate(allocator: SeqNoAllocator, contents: list[DeclarationContent], year: int) -> dict[str, list[str]]:
    wanted: dict[str, int] = defaultdict(int)
    for content in contents:
        wanted[content.ie_flag] += 1
    return {flag: allocator.allocate(flag, year, n) for flag, n in wanted.items()}


def _rejection(index: int, record: ImportRecord, errs: list[FieldError]) -> dict[str, Any]:
    raw = record.raw if isinstance(record.raw, dict) else {}
    out: dict[str, Any] = {"index": index, "errors": [e.as_dict() for e in errs]}
    if raw.get("seq_no"):
        out["seq_no"] = raw["seq_no"]
    if record.source:
        out["source"] = record.source
    return out


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XML_TYPES = ("application/xml", "text/xml")


def records_from_json(body: Any, max_records: int) -> tuple[list[ImportRecord], bool]:
    """The JSON import body {"declarations": [...], "smart_mark": bool} as records and the mark."""
    from chalicelib.domain import errors

    problems = []
    if not isinstance(body, dict):
        problems.append(FieldError("(body)", "请求体须为JSON对象", "the body must be a JSON object"))
    else:
        for key in set(body) - {"declarations", "smart_mark"}:
            problems.append(FieldError(key, f"不是可接受的字段：{key}", f"unknown field: {key}"))
        items = body.get("declarations")
        if not isinstance(items, list) or not 1 <= len(items) <= max_records:
            problems.append(FieldError("declarations", f"declarations 须为1至{max_records}条报关单的列表",
                                       f"declarations must be a list of 1 to {max_records} declarations"))
        if not isinstance(body.get("smart_mark", False), bool):
            problems.append(FieldError("smart_mark", "smart_mark 须为 true 或 false", "smart_mark must be true or false"))
    if problems:
        raise errors.invalid_request(problems)
    return [ImportRecord(raw=item) for item in body["declarations"]], body.get("smart_mark", False)


def records_from_file(content_type: str, data: bytes, max_records: int) -> list[ImportRecord]:
    """An uploaded Excel workbook or DecMessage XML as records (told apart by Content-Type)."""
    from chalicelib.domain import errors
    from chalicelib.formats.dec_message import read_dec_messages
    from chalicelib.formats.excel_workbook import read_workbook

    media = content_type.split(";")[0].strip().lower()
    if media == XLSX:
        return read_workbook(data, max_records=max_records)
    if media in XML_TYPES:
        return read_dec_messages(data, max_records=max_records)
    raise errors.unsupported_media_type(content_type, [XLSX, *XML_TYPES])
