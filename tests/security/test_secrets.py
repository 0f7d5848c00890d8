"""Issue #9, fail fast: a missing or short secret stops every entry point at construction or cold
start, with a message naming the variable and never showing the secret."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import boto3
import pytest

from chalicelib.config import MIN_SECRET_BYTES, ConfigurationError, Settings
from tests.factories import JWT_SECRET, RECEIPT_SECRET, ROOT

SHORT = "s3cr3t-but-only-27-bytes-long"[:27]
FUNCTIONS = [
    "functions.batch_trigger",
    "functions.validate",
    "functions.submit",
    "functions.schedule",
    "functions.notify",
    "functions.webhook",
]


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTDECL_")}
    return {**env, "AWS_DEFAULT_REGION": "cn-north-1", "AWS_REGION": "cn-north-1", **extra}


def _run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


# ---- settings: validated at construction ------------------------------------------------------


@pytest.mark.parametrize("variable", ["SMARTDECL_JWT_SECRET", "SMARTDECL_RECEIPT_SECRET"])
def test_settings_refuse_a_secret_shorter_than_32_bytes_naming_it_without_showing_it(variable):
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({variable: SHORT})

    assert variable in str(refused.value) and str(MIN_SECRET_BYTES) in str(refused.value)
    assert SHORT not in str(refused.value)


def test_secret_length_counts_bytes_not_characters():
    eleven_chinese_characters = "密" * 11  # 33 bytes in UTF-8
    assert Settings.from_env({"SMARTDECL_JWT_SECRET": eleven_chinese_characters}).jwt_secret
    with pytest.raises(ConfigurationError):
        Settings.from_env({"SMARTDECL_JWT_SECRET": "密" * 10})  # 30 bytes


def test_a_short_jwt_secret_is_irrelevant_when_tokens_are_verified_by_jwks():
    settings = Settings.from_env(
        {
            "SMARTDECL_AUTH_MODE": "jwks",
            "SMARTDECL_JWT_SECRET": SHORT,
            "SMARTDECL_JWKS_URL": "https://idp.example.com/jwks.json",
        }
    )
    assert settings.auth_mode == "jwks"


@pytest.mark.parametrize(
    ("variable", "value", "choices"),
    [("SMARTDECL_AUTH_MODE", "none", "'hs256' or 'jwks'"), ("SMARTDECL_SMS_PROVIDER", "tencent", "'sns' or 'aliyun'")],
)
def test_settings_refuse_a_choice_they_do_not_know_naming_the_variable_and_the_choices(variable, value, choices):
    # e.g. an auth mode of "none" must stop the cold start, never fall back to something
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({variable: value, "SMARTDECL_JWT_SECRET": JWT_SECRET})

    assert variable in str(refused.value) and choices in str(refused.value)


def test_settings_refuse_a_malformed_number_naming_it():
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({"SMARTDECL_BATCH_SIZE": "ten"})

    assert str(refused.value) == "invalid configuration: SMARTDECL_BATCH_SIZE must be an integer, not 'ten'"


def test_the_stacks_own_ports_come_from_its_endpoints_and_the_list_the_local_stack_sets():
    settings = Settings.from_env(
        {
            "SMARTDECL_JWT_SECRET": JWT_SECRET,
            "SMARTDECL_LOCAL_STACK_PORTS": "8000",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:5001",
            "AWS_ENDPOINT_URL_DYNAMODB": "http://localhost:5002",
            "SMARTDECL_CUSTOMS_ENDPOINT": "http://127.0.0.1:9001",
            "SMARTDECL_LOGISTICS_ENDPOINT": "https://logistics.example.com:8443",  # not loopback: not ours to guard
        }
    )
    assert settings.local_stack_ports == {8000, 5001, 5002, 9001}
    assert settings.loopback_ports.refusal(5001) is not None and settings.loopback_ports.refusal(9100) is None


@pytest.mark.parametrize("value", ["80,http", "0", "70000"])
def test_settings_refuse_malformed_port_lists_naming_the_variable(value):
    with pytest.raises(ConfigurationError, match="SMARTDECL_LOCAL_WEBHOOK_PORTS"):
        Settings.from_env({"SMARTDECL_JWT_SECRET": JWT_SECRET, "SMARTDECL_LOCAL_WEBHOOK_PORTS": value})


@pytest.mark.parametrize("missing", ["SMARTDECL_JWT_SECRET", "SMARTDECL_RECEIPT_SECRET"])
def test_the_api_requires_both_secrets(missing):
    env = {"SMARTDECL_JWT_SECRET": JWT_SECRET, "SMARTDECL_RECEIPT_SECRET": RECEIPT_SECRET}
    del env[missing]

    with pytest.raises(ConfigurationError, match=missing):
        Settings.from_env(env).require_api_secrets()


def test_a_short_secret_held_in_ssm_stops_the_api_at_cold_start(aws):
    # Given deployed-style settings: both secrets are SSM parameter names, the JWT one too short
    from chalicelib.container import Container

    ssm = boto3.client("ssm", region_name="cn-north-1")
    ssm.put_parameter(Name="/smartdecl/jwt-secret", Value=SHORT, Type="SecureString", Overwrite=True)
    ssm.put_parameter(Name="/smartdecl/receipt-secret", Value=RECEIPT_SECRET, Type="SecureString", Overwrite=True)
    settings = Settings.from_env(
        {
            "SMARTDECL_JWT_SECRET_PARAMETER": "/smartdecl/jwt-secret",
            "SMARTDECL_RECEIPT_SECRET_PARAMETER": "/smartdecl/receipt-secret",
        }
    )

    # When the cold start checks them, Then it refuses, naming the parameter
    with pytest.raises(ConfigurationError) as refused:
        Container(settings).check_api_secrets()
    assert "/smartdecl/jwt-secret" in str(refused.value) and SHORT not in str(refused.value)


# ---- entry points: cold start in a fresh interpreter ------------------------------------------


@pytest.mark.parametrize(
    "env, variable",
    [
        ({"SMARTDECL_JWT_SECRET": SHORT, "SMARTDECL_RECEIPT_SECRET": RECEIPT_SECRET}, "SMARTDECL_JWT_SECRET"),
        ({"SMARTDECL_RECEIPT_SECRET": RECEIPT_SECRET}, "SMARTDECL_JWT_SECRET"),
        ({"SMARTDECL_JWT_SECRET": JWT_SECRET, "SMARTDECL_RECEIPT_SECRET": SHORT}, "SMARTDECL_RECEIPT_SECRET"),
        ({"SMARTDECL_JWT_SECRET": JWT_SECRET}, "SMARTDECL_RECEIPT_SECRET"),
    ],
)
def test_the_api_function_refuses_to_start_in_lambda(env, variable):
    result = _run(["-c", "import app"], _clean_env(AWS_LAMBDA_FUNCTION_NAME="smartdecl-api", **env))

    assert result.returncode != 0
    assert "ConfigurationError" in result.stderr and variable in result.stderr
    assert SHORT not in result.stderr + result.stdout


def test_every_engine_function_refuses_to_start_with_a_short_secret():
    script = (
        "import importlib, sys\n"
        "for name in sys.argv[1:]:\n"
        "    for loaded in [m for m in sys.modules if m == 'functions' or m.startswith('functions.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        print(name, type(exc).__name__, exc)\n"
        "    else:\n"
        "        print(name, 'started')\n"
    )
    result = _run(["-c", script, *FUNCTIONS], _clean_env(SMARTDECL_RECEIPT_SECRET=SHORT))

    lines = result.stdout.splitlines()
    assert len(lines) == len(FUNCTIONS), result.stderr
    for name, line in zip(FUNCTIONS, lines, strict=True):
        assert line.startswith(f"{name} ConfigurationError") and "SMARTDECL_RECEIPT_SECRET" in line, line
        assert SHORT not in line


def test_make_run_refuses_to_start_with_a_short_jwt_secret_and_starts_nothing():
    result = _run(["-m", "infra.local_stack"], _clean_env(SMARTDECL_JWT_SECRET=SHORT), timeout=60)

    assert result.returncode == 2
    assert "cannot start" in result.stderr and "SMARTDECL_JWT_SECRET" in result.stderr
    assert SHORT not in result.stderr + result.stdout and "local stack" not in result.stdout


def test_the_local_stack_banner_never_prints_the_secret():
    source = (ROOT / "infra" / "local_stack.py").read_text(encoding="utf-8")
    start = re.search(r'print\(\s*f"""', source)
    assert start, "the banner (a print of an f-string) was not found"
    banner = source[start.start() :]
    assert "{secret}" not in banner and "{receipt_secret}" not in banner
