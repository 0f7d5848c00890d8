"""Every answer checked against the generated OpenAPI document (issue #13).

`check_answer(method, path, status, content_type, body)` fails (AssertionError naming the
operation) when the status is not documented for the operation, or a JSON body does not validate
against the schema documented for that status. `checked(api)` wraps the integration tests' `Api`
client so that every call is checked; tests/integration/conftest.py applies it to all of them.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from chalicelib.api.openapi import document

# Answers no operation documents: Chalice's own (wrong method), our 500 with a correlation id,
# and 503 when a dependency is down. Their body must still be the common error body.
UNDOCUMENTED_ERRORS = {405, 500, 503}


@cache
def _operations() -> list[tuple[re.Pattern[str], str, dict[str, Any]]]:
    out = []
    for template, item in document()["paths"].items():
        regex = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        for method, op in item.items():
            if method != "parameters":
                out.append((regex, method.upper(), op))
    # literal paths before templated ones: /declarations/mark is not /declarations/{seq_no}
    return sorted(out, key=lambda row: row[0].pattern.count("[^/]+"))


@cache
def _validator(pointer: str) -> Draft202012Validator:
    schema = {"components": document()["components"], "$ref": pointer}
    return Draft202012Validator(schema)


def _error_validator() -> Draft202012Validator:
    return _validator("#/components/schemas/Error")


def _operation(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    for regex, verb, op in _operations():
        if verb == method and regex.match(path):
            return regex.pattern, op
    return None


def check_answer(method: str, path: str, status: int, content_type: str | None, body: bytes | str | None) -> None:
    method, path = method.upper(), path.split("?", 1)[0]
    found = _operation(method, path)
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    where = f"{method} {path} → {status}"
    if found is None or status in UNDOCUMENTED_ERRORS and str(status) not in found[1]["responses"]:
        if status >= 400:  # a route no one serves, or an undocumented failure: still the common body
            _validate(_error_validator(), text, where)
        return
    _, op = found
    response = op["responses"].get(str(status))
    assert response is not None, (
        f"{where}: status {status} is not documented for this operation "
        f"(documented: {sorted(op['responses'])}); body: {text[:300]}"
    )
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return
    assert "json" in (content_type or ""), f"{where}: documented JSON, answered {content_type!r}"
    pointer = schema.get("$ref")
    validator = _validator(pointer) if pointer else Draft202012Validator(schema)
    _validate(validator, text, where)


def _validate(validator: Draft202012Validator, text: str, where: str) -> None:
    try:
        value = json.loads(text) if text else None
    except ValueError:
        raise AssertionError(f"{where}: the body is not JSON: {text[:300]}") from None
    problems = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    assert not problems, f"{where}: the answer does not match the OpenAPI document:\n" + "\n".join(
        f"  at {'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message[:300]}" for e in problems[:10]
    )


def checked(api: Any) -> Any:
    """Wrap an `Api` (tests/conftest.py) so that every answer is checked against the document."""
    call = api.call

    def checked_call(method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        response = call(method, path, *args, **kwargs)
        check_answer(method, path, response.status_code, _header(response.headers, "content-type"), response.body)
        return response

    api.call = checked_call
    return api


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in (headers or {}).items() if k.lower() == name), None)
