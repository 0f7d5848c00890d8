"""Lambda entry points of the unattended engine (SQS consumers, schedule): thin Powertools handlers."""

from __future__ import annotations

from chalicelib.config import Settings

# Cold start of every function (issue #9): a malformed environment (e.g. a secret shorter than 32
# bytes) stops the function with a message naming the variable, before any message is taken.
Settings.from_env()
