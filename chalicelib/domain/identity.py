"""Who is asking: the enterprise and card behind a request."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["legal", "operator"]


@dataclass(frozen=True)
class Identity:
    ent_code: str  # 10-digit customs code of the enterprise
    ent_uscc: str | None
    role: Role
    card_no: str
    sub: str

    @property
    def is_legal(self) -> bool:
        return self.role == "legal"

    def is_party(self, code: str | None, uscc: str | None) -> bool:
        return bool((code and code == self.ent_code) or (uscc and self.ent_uscc and uscc == self.ent_uscc))
