"""The parts a declaration's goods name, for the advisory gate and a person's confirmation of the
prompts (domain/advisories.py `part_differs`). Apart from services/parts.py so that the engine's
functions load none of the API's query models."""

from __future__ import annotations

import re

from chalicelib.domain import parts
from chalicelib.domain.declaration import DeclarationContent
from chalicelib.domain.parts import Part

from .ports import PartsRepository

# A part number the library keeps (services/parts.py checks the same form)
PART_NO = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")


def approved_parts(repo: PartsRepository | None, ent_code: str, content: DeclarationContent) -> dict[str, Part]:
    """The enterprise's approved parts among those `content`'s goods name: one batched read, none when
    the goods name no part (the gates and a person's confirmation compare goods with them)."""
    wanted = {no for no in parts.part_numbers(content.goods) if PART_NO.fullmatch(no)}
    if repo is None or not wanted:
        return {}
    return {n: p for n, p in repo.get_many(ent_code, wanted).items() if p.status == parts.APPROVED}
