"""Property-based fuzzing of every route of GET /openapi.json (schemathesis) with every check it
has: valid and invalid parameters and bodies, with a valid token of an enabled enterprise, over
real HTTP to the local dev server (the same gateway as `make run`). Every answer (issues #9, #13, #24):
- is no server error; has a status, a content type, headers and a body the operation documents;
- to a request the schema refuses (negative cases) is a refusal, and to one it allows (positive
  cases) is never a refusal about its form (tests/security/fuzz_hooks.py lists the few facts no
  schema can state: an opaque cursor, a host's DNS, who asks, a file's content, a reused key);
- without the token is 401, whatever else is wrong with the request;
- to a method the path does not have is 405 with its Allow header.

Bounded and repeatable: a fixed number of examples per operation, derandomized (the same inputs on
every run), no shrinking, no coverage phase (every boundary of every parameter: about 2,300
requests, over a minute on a busy machine) and no stateful phase: those run in the longer run of
docs/security.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from chalicelib.api.openapi import document
from tests.factories import token
from tests.security import fuzz_hooks
from tests.security.fuzz_stack import fuzz_stack

# Positive and negative cases, the same on every run; SMARTDECL_FUZZ_EXAMPLES raises it by hand.
EXAMPLES_PER_OPERATION = int(os.environ.get("SMARTDECL_FUZZ_EXAMPLES", "5"))
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"mode": "all", "max-examples": EXAMPLES_PER_OPERATION, "deterministic": True, "no-shrink": True},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_dict(document(), config=CONFIG)

# Every check schemathesis has; positive_data_acceptance and negative_data_rejection in the forms
# fuzz_hooks gives them (what no schema can say; a JSON import refuses records one by one)
CHECKS_RUN = [check for check in CHECKS.get_all() if check not in (positive_data_acceptance, negative_data_rejection)]
assert fuzz_hooks.positive_data_acceptance_beyond_the_form in CHECKS_RUN
assert fuzz_hooks.negative_data_rejection_record_by_record in CHECKS_RUN


@pytest.fixture(scope="module")
def fuzz_api(moto_endpoint) -> Iterator[str]:
    """One local stack for the whole module (a fresh one per operation would cost more than the fuzzing)."""
    with fuzz_stack(moto_endpoint) as url:
        yield url


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
def test_every_generated_request_gets_a_documented_answer(case, fuzz_api):
    case.call_and_validate(
        base_url=fuzz_api, headers={"Authorization": f"Bearer {token()}"}, timeout=30, checks=CHECKS_RUN
    )


@pytest.mark.parametrize("method", ["TRACE", "QUERY", "PROPFIND", "PATCH", "OPTIONS", "HEAD"])
@pytest.mark.parametrize("path", ["/health", "/declarations", "/nowhere"])
def test_unusual_methods_answer_4xx_not_the_dev_servers_501(fuzz_api, method, path):
    response = requests.request(method, f"{fuzz_api}{path}", timeout=30, headers={"Authorization": f"Bearer {token()}"})
    assert response.status_code < 500, response.text
