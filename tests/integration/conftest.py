"""Every answer the integration tests receive through the `api` fixture is checked against the
generated OpenAPI document (tests/contract.py): a drift between the API and its contract fails
the test that saw it."""

from __future__ import annotations

import pytest

from tests.contract import checked


@pytest.fixture(autouse=True)
def _answers_match_the_contract(request):
    if "api" in request.fixturenames:  # only tests that talk to the API; no stack for the others
        checked(request.getfixturevalue("api"))
