"""The declaration log (申报记录): every step taken on one declaration, with time and outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .timestamps import iso


@dataclass(frozen=True)
class LogEntry:
    at: datetime
    gate: str  # import | mark | claim | status | tax | manifest | … | submit | receipt | continue
    outcome: str
    reason_zh: str
    reason_en: str
    who: str = "system"  # a card number, or "system"
    batch_no: str | None = None
    details: Any = None
    result: str | None = None  # lifecycle.Outcome of the step that ended here in its batch (None: none)

    @classmethod
    def from_step(cls, step: Any, at: datetime, batch_no: str | None, who: str = "system") -> LogEntry:
        """A gate's step (domain.gates.GateStep) as a log line."""
        return cls(at, step.gate, step.outcome, step.reason_zh, step.reason_en, who, batch_no, step.details)

    def as_json(self) -> dict[str, Any]:
        return {
            "at": iso(self.at),
            "gate": self.gate,
            "outcome": self.outcome,
            "reason_zh": self.reason_zh,
            "reason_en": self.reason_en,
            "who": self.who,
            "batch_no": self.batch_no,
            "details": self.details,
            **({"result": self.result} if self.result else {}),
        }
