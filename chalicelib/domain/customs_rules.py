"""Direct-customs specific checks (集成直属海关特色校验逻辑), as data.

Each directly governed customs is the first two digits of declare_customs; its rules live in
``data/customs_rules/<two digits>.json``. Adding a customs or a rule is a data change: no code.
A missing file means no rules; a malformed one raises ``RuleFileError`` naming the file, at load.

File::

    {"_comment": "...", "customs": "01", "rules": [RULE, ...]}

Rule::

    {"id": "01-air-bill-no",                    # unique in the file: [A-Za-z0-9_.-]+
     "when": CONDITION,                         # optional: the rule applies only when it holds
     "require": CONDITION,                      # a violation when it does not hold
     "message_zh": "...", "message_en": "..."}

Condition: ``{"field": PATH, OPERATOR: ARGUMENT}`` with exactly one operator, or
``{"all": [CONDITION, ...]}``, ``{"any": [CONDITION, ...]}``, ``{"not": CONDITION}``.

Paths:
- head fields by name, nested with dots: ``bill_no``, ``agent.code``, ``freight.mark``;
- ``goods[*].FIELD``: the rule is checked once per goods item, and a violation names its g_no;
- ``documents[].FIELD``, ``containers[].FIELD``, ``goods[].FIELD``: the values of all entries,
  as one list (only ``present`` and ``contains`` apply).
Unknown fields are refused at load.

Operators (values are compared as text: numbers in plain notation, booleans "true"/"false",
dates YYYY-MM-DD; an empty string counts as absent):
- ``present: true|false``: the value is (not) given; for a list path: the list has a value.
- ``equals: X``, ``in: [X, ...]``, ``not_in: [X, ...]``
- ``prefix: "84"`` or ``["84", "85"]``: starts with one of them (e.g. an HS chapter).
- ``regex: "..."``: the whole value matches (Python ``re.fullmatch``), compiled at load.
- ``max_len: N``: at most N characters.
- ``min: N`` / ``max: N``: numeric bounds, inclusive; a value that is not a number fails.
- ``contains: X``: a list path holds X (e.g. ``documents[].edoc_code`` contains "00000004").
An absent value satisfies the bounds (``not_in``, ``max_len``, ``min``, ``max``) and fails the
matches (``equals``, ``in``, ``prefix``, ``regex``); add ``present: true`` to require it.

No eval/exec: conditions are parsed into the small tree below and evaluated by it. Rule files
ship with the code (reviewed like code), so regexes are trusted; values are short (≤ 500 chars).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .declaration import Container, DeclarationContent, Document, Fee, GoodsItem, Party

RULES_DIR = Path(__file__).parent / "data" / "customs_rules"

_PREFIX = re.compile(r"\d{2}")
_RULE_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_MAX_REGEX = 500
_NESTED: dict[str, type[BaseModel]] = {
    "agent": Party,
    "consignee": Party,
    "owner": Party,
    "freight": Fee,
    "insurance": Fee,
}
_LISTS: dict[str, type[BaseModel]] = {"goods": GoodsItem, "containers": Container, "documents": Document}
_SCALAR_OPS = ("present", "equals", "in", "not_in", "prefix", "regex", "max_len", "min", "max")
_LIST_OPS = ("present", "contains")
_ALL_OPS = frozenset(_SCALAR_OPS + _LIST_OPS)


class RuleFileError(ValueError):
    """A rule file that cannot be used; the message names the file and the place."""


# ---- the parsed form ----------------------------------------------------------------------


@dataclass(frozen=True)
class Test:
    """One field test. scope: "head", "goods" (per item) or "list" (all entries' values)."""

    path: str
    scope: str
    attrs: tuple[str, ...]  # attribute names from the content (head/list) or the goods item
    op: str
    arg: Any


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    part: Condition


Condition = Test | AllOf | AnyOf | Not


@dataclass(frozen=True)
class Rule:
    id: str
    customs: str  # the two-digit prefix whose file holds it
    when: Condition | None
    require: Condition
    message_zh: str
    message_en: str

    @property
    def per_goods(self) -> bool:
        return any(t.scope == "goods" for t in _tests(self.when, self.require))

    @property
    def field(self) -> str:
        """The field a violation points at: the first one `require` tests."""
        return next(_tests(self.require)).path


@dataclass(frozen=True)
class RuleViolation:
    rule_id: str
    field: str  # e.g. "bill_no", "goods[1].g_model", "documents"
    message_zh: str
    message_en: str
    g_no: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "field": self.field,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "g_no": self.g_no,
        }

    as_dict = as_json  # FieldError's name for the same thing


# ---- loading ------------------------------------------------------------------------------


def load_rules(prefix: str, directory: Path | str | None = None) -> list[Rule]:
    """The rules of customs `prefix` (two digits), from `directory` (default: the shipped data)."""
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        raise ValueError(f"a customs prefix is two digits, not {prefix!r}")
    return list(_load(prefix, Path(directory) if directory is not None else RULES_DIR))


@cache
def _load(prefix: str, directory: Path) -> tuple[Rule, ...]:
    path = directory / f"{prefix}.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    try:
        return _parse_file(json.loads(text, object_pairs_hook=_no_duplicate_keys), prefix)
    except (ValueError, TypeError) as exc:  # JSONDecodeError and RuleFileError are ValueErrors
        raise RuleFileError(f"customs rule file {path.name}: {exc}") from exc


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _parse_file(data: Any, prefix: str) -> tuple[Rule, ...]:
    if not isinstance(data, dict):
        raise ValueError("the file must hold a JSON object")
    _only_keys(data, {"_comment", "customs", "rules"}, "the file")
    if data.get("customs", prefix) != prefix:
        raise ValueError(f"customs is {data['customs']!r} but the file is for {prefix}")
    rules = data.get("rules")
    if not isinstance(rules, list):
        raise ValueError("'rules' must be a list")
    parsed = tuple(_parse_rule(raw, index, prefix) for index, raw in enumerate(rules))
    ids = [rule.id for rule in parsed]
    if len(set(ids)) != len(ids):
        raise ValueError(f"rule ids must be unique: {sorted({i for i in ids if ids.count(i) > 1})}")
    return parsed


def _parse_rule(raw: Any, index: int, prefix: str) -> Rule:
    where = f"rule {index + 1}"
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be an object")
    if isinstance(raw.get("id"), str):
        where = f"rule {raw['id']!r}"
    _only_keys(raw, {"id", "when", "require", "message_zh", "message_en", "_comment"}, where)
    if not isinstance(raw.get("id"), str) or not _RULE_ID.fullmatch(raw["id"]):
        raise ValueError(f"{where}: 'id' must be 1–64 of A-Z a-z 0-9 _ . -")
    for key in ("message_zh", "message_en"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ValueError(f"{where}: {key!r} is required")
    if "require" not in raw:
        raise ValueError(f"{where}: 'require' is required")
    when = _parse_condition(raw["when"], f"{where} when") if "when" in raw else None
    return Rule(
        id=raw["id"],
        customs=prefix,
        when=when,
        require=_parse_condition(raw["require"], f"{where} require"),
        message_zh=raw["message_zh"],
        message_en=raw["message_en"],
    )


def _parse_condition(raw: Any, where: str, depth: int = 0) -> Condition:
    if depth > 8:
        raise ValueError(f"{where}: conditions nest too deep")
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: a condition must be an object")
    for key, kind in (("all", AllOf), ("any", AnyOf)):
        if key in raw:
            _only_keys(raw, {key}, where)
            if not isinstance(raw[key], list) or not raw[key]:
                raise ValueError(f"{where}: {key!r} must be a non-empty list")
            return kind(tuple(_parse_condition(part, f"{where}.{key}", depth + 1) for part in raw[key]))
    if "not" in raw:
        _only_keys(raw, {"not"}, where)
        return Not(_parse_condition(raw["not"], f"{where}.not", depth + 1))
    if "field" not in raw:
        raise ValueError(f"{where}: needs 'field' and an operator, or all/any/not")
    ops = [key for key in raw if key != "field"]
    if len(ops) != 1 or ops[0] not in _ALL_OPS:
        raise ValueError(f"{where}: needs exactly one operator of {sorted(_ALL_OPS)}, got {ops}")
    scope, attrs = _parse_path(raw["field"], where)
    op = ops[0]
    allowed = _LIST_OPS if scope == "list" else _SCALAR_OPS
    if op not in allowed:
        raise ValueError(f"{where}: {op!r} does not apply to {raw['field']!r} (use one of {list(allowed)})")
    return Test(raw["field"], scope, attrs, op, _parse_argument(op, raw[op], where))


def _parse_path(path: Any, where: str) -> tuple[str, tuple[str, ...]]:
    if not isinstance(path, str) or not path:
        raise ValueError(f"{where}: 'field' must be a path such as bill_no or goods[*].g_model")
    for marker, scope in (("[*].", "goods"), ("[].", "list")):
        if marker in path:
            name, _, leaf = path.partition(marker)
            model = _LISTS.get(name)
            if model is None or (scope == "goods" and name != "goods"):
                raise ValueError(
                    f"{where}: unknown list in {path!r} (per item: goods[*].FIELD; "
                    f"all values: goods[].FIELD, documents[].FIELD, containers[].FIELD)"
                )
            if leaf not in model.model_fields:
                raise ValueError(f"{where}: {name} have no field {leaf!r}")
            return scope, (name, leaf) if scope == "list" else (leaf,)
    parts = tuple(path.split("."))
    if parts[0] in _LISTS or parts[0] not in DeclarationContent.model_fields:
        raise ValueError(f"{where}: unknown field {path!r}")
    if len(parts) == 1 and parts[0] not in _NESTED:
        return "head", parts
    if len(parts) == 2 and parts[0] in _NESTED and parts[1] in _NESTED[parts[0]].model_fields:
        return "head", parts
    raise ValueError(f"{where}: unknown field {path!r}")


def _parse_argument(op: str, arg: Any, where: str) -> Any:
    if op == "regex":
        if not isinstance(arg, str) or not arg or len(arg) > _MAX_REGEX:
            raise ValueError(f"{where}: bad argument for {op!r}: {arg!r}")
        try:
            return re.compile(arg)
        except re.error as exc:
            raise ValueError(f"{where}: invalid regex {arg!r}: {exc}") from None
    parsed = _ARGUMENTS.get(op, _number_argument)(arg)  # min / max: a number, kept exact
    if parsed is _BAD:
        raise ValueError(f"{where}: bad argument for {op!r}: {arg!r}")
    return parsed


# Each operator's argument, read; _BAD when it is not one (None is a valid reading: "" is absent).
_BAD: Any = object()


def _present_argument(arg: Any) -> Any:
    return arg if isinstance(arg, bool) else _BAD


def _scalar_argument(arg: Any) -> Any:
    return _text(arg) if _is_scalar(arg) else _BAD


def _set_argument(arg: Any) -> Any:
    if not isinstance(arg, list) or not arg or not all(_is_scalar(a) for a in arg):
        return _BAD
    return frozenset(_text(a) for a in arg)


def _prefix_argument(arg: Any) -> Any:
    items = [arg] if isinstance(arg, str) else arg
    if not isinstance(items, list) or not items or not all(isinstance(a, str) and a for a in items):
        return _BAD
    return tuple(items)


def _length_argument(arg: Any) -> Any:
    return _BAD if isinstance(arg, bool) or not isinstance(arg, int) or arg < 0 else arg


def _number_argument(arg: Any) -> Any:
    # a JSON number or numeric string
    number = _number(arg) if not isinstance(arg, bool) and isinstance(arg, (int, float, str)) else None
    return _BAD if number is None else number


_ARGUMENTS: dict[str, Callable[[Any], Any]] = {
    "present": _present_argument,
    "equals": _scalar_argument,
    "contains": _scalar_argument,
    "in": _set_argument,
    "not_in": _set_argument,
    "prefix": _prefix_argument,
    "max_len": _length_argument,
}


def _only_keys(data: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}")


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


# ---- checking -----------------------------------------------------------------------------


def check(content: DeclarationContent, directory: Path | str | None = None) -> list[RuleViolation]:
    """Every violation of the rules of content's customs (declare_customs' first two digits),
    in rule order, goods items by g_no."""
    found: list[RuleViolation] = []
    for rule in load_rules(content.declare_customs[:2], directory):
        if rule.per_goods:
            for index, item in enumerate(content.goods):
                if _violated(rule, content, item):
                    field = rule.field.replace("[*]", f"[{index}]", 1)
                    found.append(RuleViolation(rule.id, _reported(field), rule.message_zh, rule.message_en, item.g_no))
        elif _violated(rule, content, None):
            found.append(RuleViolation(rule.id, _reported(rule.field), rule.message_zh, rule.message_en))
    return found


def _violated(rule: Rule, content: DeclarationContent, item: GoodsItem | None) -> bool:
    if rule.when is not None and not _holds(rule.when, content, item):
        return False
    return not _holds(rule.require, content, item)


def _holds(cond: Condition, content: DeclarationContent, item: GoodsItem | None) -> bool:
    if isinstance(cond, AllOf):
        return all(_holds(part, content, item) for part in cond.parts)
    if isinstance(cond, AnyOf):
        return any(_holds(part, content, item) for part in cond.parts)
    if isinstance(cond, Not):
        return not _holds(cond.part, content, item)
    if cond.scope == "list":
        name, leaf = cond.attrs
        values = [v for v in (_text(getattr(entry, leaf)) for entry in getattr(content, name)) if v is not None]
        return bool(values) == cond.arg if cond.op == "present" else cond.arg in values
    source: Any = item if cond.scope == "goods" else content
    for attr in cond.attrs:
        source = getattr(source, attr) if source is not None else None
    return _test(cond.op, cond.arg, _text(source))


def _test(op: str, arg: Any, value: str | None) -> bool:
    if op == "present":
        return (value is not None) == arg
    if value is None:
        return op in ("not_in", "max_len", "min", "max")
    if op == "equals":
        return value == arg
    if op == "in":
        return value in arg
    if op == "not_in":
        return value not in arg
    if op == "prefix":
        return value.startswith(arg)
    if op == "regex":
        return arg.fullmatch(value) is not None
    if op == "max_len":
        return len(value) <= arg
    number = _number(value)
    if number is None:
        return False
    return number >= arg if op == "min" else number <= arg


def _text(value: Any) -> str | None:
    """Values compared as text; None and "" are absent."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Decimal, float)):
        number = Decimal(str(value))  # str(): a JSON float's shortest form, never its binary expansion
        return "0" if number.is_zero() else format(number.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return text or None


def _number(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _reported(path: str) -> str:
    """A list path is reported as the list: "documents[].edoc_code" → "documents"."""
    return path.partition("[].")[0] if "[]." in path else path


def _tests(*conds: Condition | None) -> Iterator[Test]:
    for cond in conds:
        if cond is None:
            continue
        if isinstance(cond, Test):
            yield cond
        elif isinstance(cond, Not):
            yield from _tests(cond.part)
        else:
            yield from _tests(*cond.parts)


def clear_cache() -> None:
    """Forget loaded rule files (after deploying new data in a warm process, or in tests)."""
    _load.cache_clear()
