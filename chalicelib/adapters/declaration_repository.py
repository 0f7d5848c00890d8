"""DynamoDeclarationRepository: declarations in DynamoDB (PynamoDB), every write conditional."""

from __future__ import annotations

import base64
import binascii
import json
import time
import zlib
from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, get_args, get_origin, get_type_hints

from pynamodb.attributes import UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chalicelib.domain import errors
from chalicelib.domain.declaration import Declaration, DeclarationContent, DeclarationStatus
from chalicelib.domain.lifecycle import ready_at
from chalicelib.domain.smart_status import SmartStatus
from chalicelib.services.ports import ConditionFailed, DeclarationRepository, Page, chunks

from .conditions import cancelled_by_condition, condition_failed
from .dynamo_models import EQUALITY_FILTERS, connection
from .dynamo_models import DeclarationContentModel as C
from .dynamo_models import DeclarationModel as M
from .dynamo_models import EnterpriseClaimModel as Claim

if TYPE_CHECKING:  # the API's list query: the engine's functions do not load its model
    from chalicelib.domain.queries import DeclarationQuery

_CONTENT_FIELDS = tuple(DeclarationContent.model_fields)
# The content's head fields the record keeps, copied: the lists filter on them and the list indexes
# carry them (dynamo_models.LIST_FILTER_ATTRIBUTES), the pool's key names ie_flag. The whole content
# is the content item's (dynamo_models.DeclarationContentModel: why).
HEAD_ON_RECORD = ("ie_flag", "declaration_type", "declare_customs", "consignee", "bill_no", "transport_mode")
_INDEX_BY_TYPE = {"agent": (M.by_agent, "agent_id"), "consignee": (M.by_consignee, "consignee_id")}


def tenant_keys(decl: Declaration) -> dict[str, str | None]:
    """The tenancy index keys (issue #9): the verified owner on the side(s) it was verified on,
    never a code typed into the form; the other side stays out of the indexes (sparse)."""
    sides = decl.owner_sides
    return {
        "agent_id": decl.owner_ent if "agent" in sides else None,
        "consignee_id": decl.owner_ent if "consignee" in sides else None,
    }


def source_claim_key(owner_ent: str, source_seq_no: str) -> str:
    return f"source#{owner_ent}#{source_seq_no}"


IN_FLIGHT_SHARDS = 8  # spreads the scheduler's index over partitions


def in_flight_shard(seq_no: str) -> str:
    return f"in_progress#{zlib.crc32(seq_no.encode()) % IN_FLIGHT_SHARDS}"


def awaiting_shard(seq_no: str) -> str:
    return f"awaiting#{zlib.crc32(seq_no.encode()) % IN_FLIGHT_SHARDS}"


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _stored(value: Any) -> Any:
    """A state field's value as its attribute holds it (datetimes as ISO strings unless the
    attribute is a UTCDateTimeAttribute, enums as their value, dicts as JSON)."""
    if isinstance(value, StrEnum):
        return str(value)
    if isinstance(value, dict):
        return json.dumps(value) if value else None
    return value


def to_item(decl: Declaration) -> M:
    """The record of a declaration: its content's head fields (HEAD_ON_RECORD), every state field of
    `Declaration` (the one list), then the keys derived for the indexes. Its content is
    `content_item`."""
    body = decl.content.as_json()
    item = M(**{k: body[k] for k in HEAD_ON_RECORD if body.get(k) is not None})
    for name in _STATE_FIELDS:
        value = _stored(getattr(decl, name))
        if isinstance(value, datetime) and name not in _DATETIME_ATTRIBUTES:
            value = iso(value)
        setattr(item, name, value)
    c = decl.content
    in_pool = (
        decl.smart_mark and decl.status == DeclarationStatus.TEMP_SAVED and decl.smart_status == SmartStatus.PENDING
    )
    in_flight = decl.smart_status == SmartStatus.IN_PROGRESS
    keys = tenant_keys(decl)
    for name, value in dict(
        agent_id=keys["agent_id"],
        consignee_id=keys["consignee_id"],
        pool_agent=f"{keys['agent_id']}#{c.ie_flag}" if in_pool and keys["agent_id"] else None,
        pool_consignee=f"{keys['consignee_id']}#{c.ie_flag}" if in_pool and keys["consignee_id"] else None,
        pool_since=iso(ready_at(decl)) if in_pool else None,  # a waiting one only once due for a re-check
        # the scheduler's index holds only the claimed ones
        claim_deadline=iso(decl.claim_deadline) if in_flight and decl.claim_deadline else None,
        in_flight=in_flight_shard(decl.seq_no) if in_flight and decl.claim_deadline else None,
        awaiting_receipt=awaiting_shard(decl.seq_no)
        if decl.declared_at and not decl.receipt_channel and not decl.receipt_overdue_at
        else None,
    ).items():
        setattr(item, name, value)
    return item


def content_item(decl: Declaration) -> C:
    """The content item, stamped with the record's version it is written with (the record's
    `content_version`, set by the same write)."""
    body = {k: v for k, v in decl.content.as_json().items() if v is not None and v != []}
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return C(seq_no=decl.seq_no, body=text, version=decl.version)


def with_content(decl: Declaration) -> tuple[M, C]:
    """A record and its content item, written together (import, edit)."""
    item = to_item(decl)
    item.content_version = decl.version
    return item, content_item(decl)


def _torn(item: M, content: C | None) -> bool:
    """A BatchGetItem is not isolated: it may read a record and the content item of one
    transaction on either side of it. The record names the content it goes with."""
    expected = item.content_version
    if expected is None:  # written before the content table: the record holds its content
        return False
    return content is None or int(content.version) != int(expected)


def from_item(item: M, content: C | None) -> Declaration:
    """A declaration from its record and its content item; a record written before the content
    table has none and holds its content itself."""
    raw = item.attribute_values
    if content is not None:
        parsed = DeclarationContent.model_validate(json.loads(content.body))
    else:
        parsed = _content_on_record(raw)
    state = {name: _loaded(_STATE_TYPES[name], raw.get(name)) for name in _STATE_FIELDS if raw.get(name) is not None}
    return Declaration(content=parsed, **state)


def _content_on_record(raw: dict[str, Any]) -> DeclarationContent:
    body: dict[str, Any] = {}
    for name in _CONTENT_FIELDS:
        value: Any = raw.get(name)
        if hasattr(value, "as_dict"):
            value = value.as_dict()
        elif isinstance(value, list):
            value = [v.as_dict() if hasattr(v, "as_dict") else v for v in value]
        if value is not None:
            body[name] = value
    for goods in body.get("goods", []):
        goods["g_no"] = int(goods["g_no"])
    body["pack_no"] = int(body["pack_no"])
    return DeclarationContent.model_validate(body)


def _loaded(kind: type, value: Any) -> Any:
    if kind is datetime:
        return value if isinstance(value, datetime) else _dt(value)
    if kind is dict:
        return json.loads(value)
    return kind(value)  # str, int (DynamoDB numbers), bool, the enums


def _state_types() -> dict[str, type]:
    """Each stored state field of `Declaration` and the type it loads as (Optional unwrapped)."""
    hints = get_type_hints(Declaration)
    out = {}
    for f in fields(Declaration):
        if f.name in ("content", "extra"):
            continue
        kinds = [k for k in get_args(hints[f.name]) or (hints[f.name],) if k is not type(None)]
        kind = get_origin(kinds[0]) or kinds[0]
        out[f.name] = kind
    return out


_STATE_TYPES = _state_types()
_STATE_FIELDS = tuple(_STATE_TYPES)
_DATETIME_ATTRIBUTES = {name for name, attr in M.get_attributes().items() if isinstance(attr, UTCDateTimeAttribute)}


def _editable():
    return (M.status == DeclarationStatus.TEMP_SAVED.value) & (M.smart_status != SmartStatus.IN_PROGRESS.value)


def _connection():
    return connection(getattr(M.Meta, "region", None))


# A transaction holds at most 100 items and 4 MB; records are sized by their serialized JSON,
# which is a little larger than DynamoDB counts them.
_MAX_TRANSACTION_ITEMS = 100
_MAX_TRANSACTION_BYTES = 3_500_000


def _import_groups(declarations: Sequence[Declaration]) -> list[list[tuple[Declaration, M, C]]]:
    """Transactions' worth of new records, each with its item (built once: measured here, written
    by _write_new), in order. A number seen twice starts a new group (one transaction may not write
    an item twice): the second then finds it taken, as one at a time would."""
    groups: list[list[tuple[Declaration, M, C]]] = []
    group: list[tuple[Declaration, M, C]] = []
    keys: set[str] = set()
    size = 0
    for decl in declarations:
        mine = {decl.seq_no, "content:" + decl.seq_no}
        if decl.content.source_seq_no is not None:
            mine.add("claim:" + source_claim_key(decl.owner_ent, decl.content.source_seq_no))
        item, content = with_content(decl)
        bytes_ = len(json.dumps(item.serialize(), default=str)) + len(content.body.encode())
        too_many = len(keys) + len(mine) > _MAX_TRANSACTION_ITEMS or size + bytes_ > _MAX_TRANSACTION_BYTES
        if group and (too_many or keys & mine):
            groups.append(group)
            group, keys, size = [], set(), 0
        group.append((decl, item, content))
        keys |= mine
        size += bytes_
    if group:
        groups.append(group)
    return groups


class DynamoDeclarationRepository(DeclarationRepository):
    def get(self, seq_no: str) -> Declaration | None:
        return self.get_many([seq_no]).get(seq_no)

    def get_many(self, seq_nos: Sequence[str]) -> dict[str, Declaration]:
        """Records and their contents, strongly consistent: one BatchGetItem per 50 declarations
        (its limit is 100 keys)."""
        found: dict[str, Declaration] = {}
        for batch in chunks(list(dict.fromkeys(seq_nos)), 50):
            records, contents = _batch_get(batch)
            for seq_no, item in records.items():
                found[seq_no] = from_item(item, contents.get(seq_no))
        return found

    def add_many(self, declarations: Sequence[Declaration]) -> dict[str, str]:
        """New records (and their source-number claims) in as few TransactWriteItems as fit: each
        record conditional on its seq_no being free, each claim on its source number being unclaimed.
        A cancelled transaction names the items whose condition failed: those declarations are held
        (by whoever holds the number), and the others are written again without them."""
        held: dict[str, str] = {}
        for group in _import_groups(declarations):
            while group:
                lost = self._write_new(group)
                if not lost:
                    break
                for decl, claim_failed in lost:
                    held[decl.seq_no] = self._holder(decl) if claim_failed else decl.seq_no
                group = [(d, item, content) for d, item, content in group if d.seq_no not in held]
        return held

    def _write_new(self, group: list[tuple[Declaration, M, C]]) -> list[tuple[Declaration, bool]]:
        """[] when all were written; else (declaration, was it its claim that failed) per loser."""
        owners: list[tuple[Declaration, bool]] = []  # per transaction item, in the order sent
        try:
            with TransactWrite(connection=_connection()) as tx:
                for decl, item, content in group:
                    tx.save(item, condition=M.seq_no.does_not_exist())
                    tx.save(content)  # written with its record or not at all
                    owners += [(decl, False), (decl, False)]
                    source = decl.content.source_seq_no
                    if source is not None:  # the record and its source-number claim together, or neither
                        tx.save(
                            Claim(
                                ent_code=source_claim_key(decl.owner_ent, source),
                                claimed_by=decl.owner_ent,
                                seq_no=decl.seq_no,
                            ),
                            condition=Claim.ent_code.does_not_exist(),
                        )
                        owners.append((decl, True))
        except TransactWriteError as exc:
            lost = [o for o, failed in zip(owners, cancelled_by_condition(exc), strict=False) if failed]
            if not lost:
                raise
            return lost
        return []

    @staticmethod
    def _holder(decl: Declaration) -> str:
        key = source_claim_key(decl.owner_ent, decl.content.source_seq_no or "")
        try:
            return Claim.get(key, consistent_read=True).seq_no
        except DoesNotExist:  # released meanwhile: report our own number as held, the caller retries
            return decl.seq_no

    def replace(self, declaration: Declaration, expected_version: int) -> None:
        try:
            item, content = with_content(declaration)
            with TransactWrite(connection=_connection()) as tx:
                tx.save(item, condition=(M.version == expected_version) & _editable())
                tx.save(content)
        except TransactWriteError as exc:
            if any(cancelled_by_condition(exc)):
                raise ConditionFailed(declaration.seq_no) from exc
            raise

    def delete(self, declaration: Declaration) -> None:
        condition = (M.version == declaration.version) & _editable()
        source = declaration.content.source_seq_no
        try:  # the record, its content, and its source number: it may be imported again
            with TransactWrite(connection=_connection()) as tx:
                tx.delete(M(seq_no=declaration.seq_no), condition=condition)
                tx.delete(C(seq_no=declaration.seq_no))
                if source is not None:
                    tx.delete(
                        Claim(ent_code=source_claim_key(declaration.owner_ent, source)),
                        condition=Claim.seq_no == declaration.seq_no,
                    )
        except TransactWriteError as exc:
            if any(cancelled_by_condition(exc)):
                raise ConditionFailed(declaration.seq_no) from exc
            raise

    def set_mark(self, declaration: Declaration, marked: bool, card_no: str, now: datetime) -> None:
        changed = declaration.with_changes(  # a fresh mark is ready at once (recheck_at cleared)
            recheck_at=None,
            smart_mark=marked,
            marked_by=card_no if marked else None,
            marked_at=now if marked else None,
            card_no=card_no,
            updated_at=now,
            version=declaration.version + 1,
        )
        item = to_item(changed)
        names = (
            "smart_mark",
            "marked_by",
            "marked_at",
            "card_no",
            "updated_at",
            "version",
            "pool_agent",
            "pool_consignee",
            "pool_since",
            "recheck_at",
        )
        actions = [
            getattr(M, n).set(getattr(item, n)) if getattr(item, n) is not None else getattr(M, n).remove()
            for n in names
        ]
        # Only the state that was checked may move: same version, still temp-saved and pending.
        condition = (
            (M.version == declaration.version)
            & (M.status == DeclarationStatus.TEMP_SAVED.value)
            & (M.smart_status == SmartStatus.PENDING.value)
        )
        try:
            M(seq_no=declaration.seq_no).update(actions=actions, condition=condition)
        except UpdateError as exc:
            if condition_failed(exc):
                raise ConditionFailed(declaration.seq_no) from exc
            raise

    def pool(
        self, side: str, party: str, ie_flag: str, limit: int, ready_by: datetime | None = None
    ) -> list[Declaration]:
        """Marked, pending, temp-saved declarations of one enterprise and flag, longest ready first;
        with `ready_by`, only those ready by then (a key condition: the others are not read)."""
        index = M.pool_agent_index if side == "agent" else M.pool_consignee_index
        condition = M.pool_since <= iso(ready_by) if ready_by is not None else None
        keys = [i.seq_no for i in index.query(f"{party}#{ie_flag}", condition, limit=limit, page_size=min(limit, 500))]
        return self._in_order(keys)

    def _in_order(self, seq_nos: list[str]) -> list[Declaration]:
        """The records of keys an index answered (KEYS_ONLY / INCLUDE), in the index's order; one
        gone meanwhile is left out."""
        found = self.get_many(seq_nos) if seq_nos else {}
        return [found[s] for s in seq_nos if s in found]

    def overdue(self, now: datetime, limit: int = 500) -> list[str]:
        """seq_nos in progress past their claim deadline."""
        return _sharded(M.in_flight_index, "in_progress", M.claim_deadline < iso(now), limit)

    def by_customs_seq_no(self, customs_seq_no: str) -> str | None:
        return next((i.seq_no for i in M.by_customs_seq_no.query(customs_seq_no, limit=1)), None)

    def by_entry_id(self, entry_id: str) -> str | None:
        return next((i.seq_no for i in M.by_entry_id.query(entry_id, limit=1)), None)

    def awaiting_receipt(self, declared_before: datetime, limit: int = 500) -> list[str]:
        """Declared before the given time and still without any customs receipt."""
        return _sharded(M.awaiting_receipt_index, "awaiting", M.declared_at < iso(declared_before), limit)

    def query(self, ent_code: str, query: DeclarationQuery, window: tuple[datetime, datetime] | None) -> Page:
        if query.seq_no:
            decl = self.get(query.seq_no)
            ok = decl is not None and decl.owner_ent == ent_code and query.matches(decl) and _in_window(decl, window)
            return Page([decl] if decl is not None and ok else [], 1 if ok else 0, None)
        index, hash_value, range_cond, key_names = self._plan(ent_code, query, window)
        filt = _filter(query, ent_code, key_names, None if range_cond is not None else window)
        start = _decode_cursor(query.cursor, key_names, hash_attr=key_names[1], hash_value=hash_value)
        items = list(
            index.query(
                hash_value,
                range_cond,
                filter_condition=filt,
                scan_index_forward=False,
                limit=query.page_size + 1,
                last_evaluated_key=start,
                page_size=query.page_size + 1,
            )
        )
        more = len(items) > query.page_size
        items = items[: query.page_size]
        cursor = _encode_cursor(items[-1], key_names) if more else None
        total = index.count(hash_value, range_cond, filter_condition=filt)
        return Page(self._in_order([i.seq_no for i in items]), total, cursor)

    @staticmethod
    def _plan(ent_code, query, window):
        if query.entry_id:
            return M.by_entry_id, query.entry_id, None, ("seq_no", "entry_id")
        if query.bill_no:
            return M.by_bill_no, query.bill_no, None, ("seq_no", "bill_no", "seq_no")
        index, attr = _INDEX_BY_TYPE[query.enterprise_type]
        cond = M.updated_at.between(iso(window[0]), iso(window[1])) if window else None
        return index, ent_code, cond, ("seq_no", attr, "updated_at")


_READS = 8


def _batch_get(seq_nos: Sequence[str]) -> tuple[dict[str, M], dict[str, C]]:
    """The records and content items of up to 50 declarations in one BatchGetItem (PynamoDB's
    batch_get reads one table a request). Keys DynamoDB leaves unprocessed are asked again, and so
    are declarations read torn (`_torn`: a write was committing meanwhile)."""
    records: dict[str, M] = {}
    contents: dict[str, C] = {}
    wanted = list(seq_nos)
    request: dict[str, Any] = {}
    for attempt in range(_READS):
        if not request:
            keys = {"Keys": [{"seq_no": {"S": s}} for s in wanted], "ConsistentRead": True}
            request = {M.Meta.table_name: keys, C.Meta.table_name: keys}
        answer = _connection().client.batch_get_item(RequestItems=request)
        for raw in answer.get("Responses", {}).get(M.Meta.table_name, []):
            records[raw["seq_no"]["S"]] = M.from_raw_data(raw)
        for raw in answer.get("Responses", {}).get(C.Meta.table_name, []):
            contents[raw["seq_no"]["S"]] = C.from_raw_data(raw)
        request = answer.get("UnprocessedKeys") or {}
        if request:
            time.sleep(min(1.0, 0.05 * 2**attempt))  # throttled: back off before asking again
            continue
        wanted = [s for s, item in records.items() if _torn(item, contents.get(s))]
        if not wanted:
            return records, contents
        for s in wanted:  # read both halves again
            records.pop(s, None)
            contents.pop(s, None)
    raise RuntimeError(f"BatchGetItem: {len(request) or len(wanted)} left unread or torn after {_READS} attempts")


def _sharded(index, prefix: str, condition, limit: int) -> list[str]:
    """seq_nos from every shard of a sparse sharded index, up to `limit`."""
    found: list[str] = []
    for shard in range(IN_FLIGHT_SHARDS):
        found += [item.seq_no for item in index.query(f"{prefix}#{shard}", condition, limit=limit - len(found))]
        if len(found) >= limit:
            break
    return found


def _in_window(decl: Declaration, window) -> bool:
    return window is None or window[0] <= decl.updated_at <= window[1]


def _filter(query: DeclarationQuery, ent_code: str, key_names: tuple[str, ...], window):
    conds: list[Condition] = []
    if window:  # exact-number lookups may still be narrowed by time
        conds.append(M.updated_at.between(iso(window[0]), iso(window[1])))
    # By number the tenant is a filter; on the enterprise indexes it also keeps out index rows
    # written before #9 from a code typed into the form (the owner is the only tenant).
    conds.append(M.owner_ent == ent_code)
    for name in EQUALITY_FILTERS:
        value = getattr(query, name)
        if value is not None and name != key_names[1]:
            conds.append(getattr(M, name) == value)
    if query.consignee:
        conds.append((M.consignee["code"] == query.consignee) | (M.consignee["uscc"] == query.consignee))
    result = None
    for cond in conds:
        result = cond if result is None else result & cond
    return result


def _encode_cursor(item: M, key_names: tuple[str, ...]) -> str:
    raw = {name: getattr(item, name) for name in dict.fromkeys(key_names)}
    return base64.urlsafe_b64encode(json.dumps(raw, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None, key_names, hash_attr: str, hash_value: str) -> dict | None:
    if not cursor:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raw = None
    # A cursor only positions inside the caller's own partition; anything else is refused.
    if (
        not isinstance(raw, dict)
        or set(raw) != set(key_names)
        or raw.get(hash_attr) != hash_value
        or not all(isinstance(v, str) for v in raw.values())
    ):
        raise errors.invalid_request([errors.FieldError("cursor", "分页游标无效", "the cursor is not valid")])
    return {name: {"S": value} for name, value in raw.items()}
