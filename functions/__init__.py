"""Lambda entry points of the unattended engine (SQS consumers, schedule): thin Powertools handlers."""
