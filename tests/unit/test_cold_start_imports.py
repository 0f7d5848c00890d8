"""Issue #10 item 8: what each Lambda handler loads at cold start (bench/cold_start.py times it).

Each handler is imported in a fresh interpreter with tracing off, as the template deploys it."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = sorted(f"functions.{p.stem}" for p in (ROOT / "functions").glob("*.py") if not p.stem.startswith("_"))
NEVER_IN_A_FUNCTION = (
    "aws_xray_sdk",  # only with tracing on
    "jwt",  # tokens are the API's business
    "cryptography",
    "chalice",
    "openpyxl",  # Excel import is the API's
    "aws_lambda_powertools.utilities.parser.models",  # Powertools' batch loads them if pydantic came first
    "boto3",  # clients come from botocore (adapters/aws_clients.py); boto3 would add its S3 transfers
    "s3transfer",
)


def _loaded(module: str) -> set[str]:
    """What importing `module` loads."""
    return _imports(module)[0]


def _loaded_by_first_message(module: str) -> set[str]:
    """What importing `module` then wiring what its first message needs (FIRST_MESSAGE) loads."""
    return _imports(module)[1]


@functools.cache
def _imports(module: str) -> tuple[set[str], set[str]]:
    """One fresh interpreter per module (a second import would find it loaded): sys.modules after the
    import, then after its first message's wiring, which only adds to it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_")}
    env.update(
        POWERTOOLS_TRACE_DISABLED="true",
        AWS_LAMBDA_FUNCTION_NAME="cold-start-test",
        SMARTDECL_JWT_SECRET="cold-start-test-" + "x" * 32,
        SMARTDECL_RECEIPT_SECRET="cold-start-test-" + "y" * 32,
        SMARTDECL_EVENTS_TOPIC_ARN="arn:aws-cn:sns:cn-north-1:000000000000:cold-start-test-events",
    )
    code = "\n".join(
        [
            f"import json, sys, {module}",
            f"print({MARK!r} + json.dumps(sorted(sys.modules)))",
            FIRST_MESSAGE.get(module, ""),
            f"print({MARK!r} + json.dumps(sorted(sys.modules)))",
        ]
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    at_import, after_first_message = (
        json.loads(line.removeprefix(MARK)) for line in out.stdout.splitlines() if line.startswith(MARK)
    )
    return set(at_import), set(after_first_message)


MARK = "sys.modules: "


@pytest.mark.parametrize("module", FUNCTIONS)
def test_a_function_loads_neither_tracing_nor_the_apis_libraries_nor_parser_models_nor_boto3(module):
    loaded = _loaded(module)
    assert [m for m in NEVER_IN_A_FUNCTION if m in loaded] == []


def test_the_api_loads_no_tracing_sdk_when_tracing_is_off():
    assert "aws_xray_sdk" not in _loaded("app")


def test_the_api_builds_its_answer_models_only_when_its_openapi_document_is_asked_for():
    # models.py describes the answers for the document (and the contract tests); no route uses it
    assert {"chalicelib.api.models", "chalicelib.api.openapi"} & _loaded("app") == set()


ENGINE_FUNCTIONS = ["functions.batch_trigger", "functions.schedule", "functions.submit", "functions.validate"]


@pytest.mark.parametrize("module", ENGINE_FUNCTIONS)
def test_the_engine_a_function_builds_at_its_first_message_loads_none_of_the_apis_models(module):
    # the engine is wired at the first invocation (container.engine): what it loads then counts too
    loaded = _loaded_by_first_message(module)
    api_only = ("chalicelib.api", "chalicelib.domain.queries", "boto3", *NEVER_IN_A_FUNCTION)
    assert sorted(m for m in loaded if m in api_only or m.startswith(tuple(f"{p}." for p in api_only))) == []


# The push path reads stored subscriptions and events and validates no request: neither a push
# function's import nor what its first message wires (container attributes, clients) loads pydantic,
# about a third of the import of a function that does (bench/cold_start.py).
PUSH_FUNCTIONS = {
    "functions.notify": "c.subscription_reader; c.send_delivery; c.send_sms; c.push_store; c.sms_policy",
    "functions.webhook": "c.subscriptions; c.deliveries; c.webhook_sender; c.send_delivery",
    "functions.sms": "c.subscriptions; c.deliveries; c.push_store; c.send_sms; c.sms_policy",
    "functions.digest": "c.subscriptions; c.push_store",
    "functions.publish_events": "c.publisher; c.price_history",  # c.declarations: once a declaration was declared
    "functions.event_feed": "c.event_feed",
}
# What a function's first message wires (the two tests above), found in the interpreter of its import.
FIRST_MESSAGE = {
    **{module: "from chalicelib.container import container; container().engine" for module in ENGINE_FUNCTIONS},
    **{
        module: "from chalicelib.container import container; c = container(); " + wiring
        for module, wiring in PUSH_FUNCTIONS.items()
    },
}


@pytest.mark.parametrize("module", sorted(PUSH_FUNCTIONS))
def test_a_push_function_loads_no_pydantic_at_import_nor_at_its_first_message(module):
    loaded = _loaded_by_first_message(module)
    assert sorted(m for m in loaded if m.split(".")[0] in ("pydantic", "pydantic_core")) == []
