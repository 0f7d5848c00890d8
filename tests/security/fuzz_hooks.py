"""What schemathesis needs to know beyond the OpenAPI document, for the bounded run in `make test`
(tests/security/test_fuzz_api.py imports it) and the longer CLI run of docs/security.md
(`python -m tests.security.fuzz_stack run`, which loads it as SCHEMATHESIS_HOOKS):

- how to make a credit code whose check character is right (the document says `format: uscc`);
- the few facts about a request that no schema can state. Every check schemathesis has runs, with
  positive_data_acceptance in a form that knows these facts: a request the schema allows is never
  refused, unless the answer names one of them;
- that a JSON import refuses records one by one: POST /declarations answers 200 with each record
  accepted or rejected (the console's entry form shows each reason beside its field). Every check
  runs, with negative_data_rejection in a form that knows it: a schema-violating import may be
  answered 200 only if every record it accepted is one the schema allows.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from stdnum.cn import uscc

# GB 32100: the 18th character is computed from the 17 before it; a generator cannot guess it.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
schemathesis.openapi.format(
    "uscc",
    st.tuples(
        st.text("0123456789", min_size=8, max_size=8),
        st.text(_USCC_CHARS, min_size=9, max_size=9),
    ).map(lambda parts: "".join(parts) + uscc.calc_check_digit("".join(parts))),
)

# Answers about facts beyond a request's form, by error code or by a field's reason.
BEYOND_THE_FORM_CODES = {
    "unreadable_file",  # an uploaded file's content: no schema describes a workbook's sheets
    "idempotency_key_reused",  # the key was used before with another body (422, as the IETF draft says)
}
BEYOND_THE_FORM = (
    "must be your enterprise",  # who asks (POST /configs: the agent or consignee is the caller)
    "cannot be resolved",  # a webhook host's DNS
    "the cursor is not one this feed gave out",  # cursors are opaque positions
    "the cursor is not valid",
    "is not an HS 2022 subheading",  # a national code table too large for the document
    # a column mapping names each field and each column once: JSON Schema has no "unique by property"
    "is mapped twice",
    "one column is mapped to two fields",
    # 60.0 is the integer 60 to JSON Schema, and the generator sends it; the API takes only 60 (issue #9)
    "must be a whole number",
)


def beyond_the_form(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    if body.get("code") in BEYOND_THE_FORM_CODES:
        return True
    details = body.get("details") if isinstance(body.get("details"), list) else []
    return bool(details) and all(
        any(reason in str(d.get("message_en")) for reason in BEYOND_THE_FORM) for d in details if isinstance(d, dict)
    )


@schemathesis.check
def positive_data_acceptance_beyond_the_form(ctx, response, case):
    """schemathesis' positive_data_acceptance, unless the refusal names a fact beyond the form."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if beyond_the_form(_json(response.content)):
            return None
        raise


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None


# ---- a JSON import refuses records one by one --------------------------------------------------------

_IMPORT = "POST /declarations"
_validators: dict[int, Draft202012Validator] = {}


def _record_validator(case) -> Draft202012Validator:
    document = case.operation.schema.raw_schema
    key = id(document)
    if key not in _validators:
        schema = {"$ref": "#/components/schemas/DeclarationContent", "components": document["components"]}
        _validators[key] = Draft202012Validator(schema, format_checker=FormatChecker())
    return _validators[key]


def _accepted_records_are_valid(case, response) -> bool:
    body, answer = case.body, _json(response.content)
    if response.status_code != 200 or not isinstance(body, dict) or not isinstance(answer, dict):
        return False
    records = body.get("declarations")
    if not isinstance(records, list):
        return False
    rejected = {r.get("index") for r in answer.get("rejected", []) if isinstance(r, dict)}
    validator = _record_validator(case)
    return all(validator.is_valid(record) for index, record in enumerate(records) if index not in rejected)


@schemathesis.check
def negative_data_rejection_record_by_record(ctx, response, case):
    """schemathesis' negative_data_rejection; a JSON import may answer 200 when every record it
    accepted is valid (the invalid ones are in `rejected`, each with its reasons)."""
    try:
        return negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData:
        if case.operation.label == _IMPORT and _accepted_records_are_valid(case, response):
            return None
        raise
