"""How DynamoDB says a write was refused by its condition, read in one place.

A single write (PutItem, UpdateItem, DeleteItem) fails with ConditionalCheckFailedException; a
TransactWriteItems request is cancelled as a whole and names, per item in request order, the
ones whose condition failed. Callers decide what a refusal means (a duplicate, a lost race, a
taken number); the first two functions only read it, and `write_with_claims` gives the one
meaning an item's name claims share.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.services.ports import ConditionFailed, UniquenessClash


def condition_failed(exc: Exception) -> bool:
    """A single write refused by its condition (not throttled, not a network error): a PynamoDB
    error names the cause, a boto3 ClientError carries it in its response."""
    response = getattr(exc, "response", None) or {}
    code = getattr(exc, "cause_response_code", None) or response.get("Error", {}).get("Code")
    return code == "ConditionalCheckFailedException"


def cancelled_by_condition(exc: Exception) -> list[bool]:
    """Per item of a cancelled transaction, in request order: did its condition fail?

    Empty when the request was not cancelled by conditions (throttling, a conflict, a network
    error): `any(...)` is then False and the caller re-raises."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return [r is not None and r.code == "ConditionalCheckFailed" for r in reasons]


def write_with_claims(ops: Sequence[tuple[str, Any, object]], connection: Any, claim_prefix: str) -> None:
    """One transaction of (verb, item, condition): an item and its name claims (configs, column
    mappings). A refused claim put is a name already taken (UniquenessClash); any other refused
    condition is a lost race (ConditionFailed)."""
    try:
        with TransactWrite(connection=connection) as tx:
            for verb, item, condition in ops:
                getattr(tx, verb)(item, condition=condition)
    except TransactWriteError as exc:
        failed = [i for i, refused in enumerate(cancelled_by_condition(exc)) if refused]
        if not failed:
            raise
        if any(ops[i][0] == "save" and ops[i][1].sk.startswith(claim_prefix) for i in failed):
            raise UniquenessClash() from exc
        raise ConditionFailed() from exc
