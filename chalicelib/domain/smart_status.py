"""The smart status (智能申报状态) state machine of a declaration.

The named transitions that move it are in lifecycle.py; each is written with a condition on the
version it was computed from, so two workers can never both move the same declaration
(adapters/unit_of_work.py).
"""

from __future__ import annotations

from enum import StrEnum


class SmartStatus(StrEnum):
    PENDING = "pending"  # 待申报
    IN_PROGRESS = "in_progress"  # 申报中
    SUCCEEDED = "succeeded"  # 申报成功(自动)
    FAILED = "failed"  # 申报失败


LABELS = {"pending": "待申报", "in_progress": "申报中", "succeeded": "申报成功(自动)", "failed": "申报失败"}

WAITING_REASONS = ("manifest", "arrival", "tax", "advisory", "licence", "customs_unavailable")

TRANSITIONS: dict[SmartStatus, frozenset[SmartStatus]] = {
    # a batch may fail it as it takes it: its declaring unit must declare it (lifecycle.refuse_at_claim)
    SmartStatus.PENDING: frozenset({SmartStatus.IN_PROGRESS, SmartStatus.FAILED}),
    # in progress: declared, refused, or back in the pool waiting (manifest, customs down, timed out…)
    SmartStatus.IN_PROGRESS: frozenset({SmartStatus.SUCCEEDED, SmartStatus.FAILED, SmartStatus.PENDING}),
    # back to the pool only through "continue"; a person may still declare it by hand
    SmartStatus.FAILED: frozenset({SmartStatus.PENDING, SmartStatus.IN_PROGRESS}),
    SmartStatus.SUCCEEDED: frozenset(),
}


class IllegalTransition(ValueError):
    pass


def check_transition(current: str, target: str) -> SmartStatus:
    cur, tgt = SmartStatus(current), SmartStatus(target)
    if tgt not in TRANSITIONS[cur]:
        raise IllegalTransition(f"smart status cannot move from {cur} to {tgt}")
    return tgt
