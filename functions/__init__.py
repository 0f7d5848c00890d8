"""Lambda entry points of the unattended engine (SQS consumers, schedule): thin Powertools handlers."""

from __future__ import annotations

# Before anything imports pydantic: Powertools' batch utility imports its pydantic parser models
# (about 30 ms of every SQS consumer's cold start) only when pydantic is already loaded, and no
# function parses records with them. tests/unit/test_cold_start_imports.py holds the handlers to it.
import aws_lambda_powertools.utilities.batch  # noqa: F401

from chalicelib.config import Settings

# Cold start of every function (issue #9): a malformed environment (e.g. a secret shorter than 32
# bytes) stops the function with a message naming the variable, before any message is taken.
Settings.from_env()
