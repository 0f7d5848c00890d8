"""How DynamoDB says a write was refused by its condition, read in one place.

A single write (PutItem, UpdateItem, DeleteItem) fails with ConditionalCheckFailedException; a
TransactWriteItems request is cancelled as a whole and names, per item in request order, the
ones whose condition failed. Callers decide what a refusal means (a duplicate, a lost race, a
taken number); these two functions only read it.
"""

from __future__ import annotations


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
