"""Who is asking: the enterprise and card behind a request.

An enterprise is its customs code *and* its unified social credit code together (issue #9):
a party on a form is this enterprise only when what it names agrees with both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Role = Literal["legal", "operator", "agent"]  # agent: an enterprise's smartdecl agent, on /agent/ routes only


class PartyMatch(StrEnum):
    OWN = "own"  # names this enterprise, and nothing that contradicts it
    OTHER = "other"  # names neither of its codes: another enterprise (data only)
    CONFLICT = "conflict"  # one code is ours, the other is someone else's: refused


@dataclass(frozen=True)
class Identity:
    ent_code: str  # 10-character customs code of the enterprise
    ent_uscc: str | None  # its 18-character credit code; tokens always carry it (adapters/tokens.py)
    role: Role
    card_no: str
    sub: str

    @property
    def is_legal(self) -> bool:
        return self.role == "legal"

    def match_party(self, code: str | None, uscc: str | None) -> PartyMatch:
        """Whether a party (code and/or USCC) is this enterprise, another one, or a mix of both."""
        code_ours = code is not None and code == self.ent_code
        uscc_ours = uscc is not None and self.ent_uscc is not None and uscc == self.ent_uscc
        if not code_ours and not uscc_ours:
            return PartyMatch.OTHER
        if (code is not None and not code_ours) or (uscc is not None and not uscc_ours):
            return PartyMatch.CONFLICT
        return PartyMatch.OWN

    def is_party(self, code: str | None, uscc: str | None) -> bool:
        return self.match_party(code, uscc) is PartyMatch.OWN
