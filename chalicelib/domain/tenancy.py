"""Tenancy (issue #9): which enterprise a declaration belongs to, and who may see or run it.

Rule: the importer's own side of the form (declaring unit = agent, or consignee) must name the
importer's customs code and credit code *together*; a side naming one of them with someone
else's other code is refused. A side naming only one is completed with the verified other one.
The importer becomes the record's owner (`owner_ent`, `owner_side`); lists, the engine's pool
and its claims key on that owner, never on a code typed into the form. The other party's codes
are data: that enterprise neither sees nor runs the record (it would import its own copy).
"""

from __future__ import annotations

from .declaration import Declaration, DeclarationContent
from .errors import FieldError
from .identity import Identity, PartyMatch

SIDES = ("agent", "consignee")
_SIDE_ZH = {"agent": "申报单位", "consignee": "境内收发货人"}


def bind_to_importer(
    identity: Identity, content: DeclarationContent
) -> tuple[DeclarationContent | None, str | None, list[FieldError]]:
    """The content with the importer's side completed, and that side; or why it is refused."""
    updates, own, errs = {}, [], []
    for side in SIDES:
        party = getattr(content, side)
        match = identity.match_party(party.code, party.uscc)
        if match is PartyMatch.CONFLICT:
            errs.append(_conflict(identity, side, party.code))
        elif match is PartyMatch.OWN:
            own.append(side)
            updates[side] = party.model_copy(update={"code": identity.ent_code, "uscc": identity.ent_uscc})
    if errs:
        return None, None, errs
    if not own:
        return (
            None,
            None,
            [
                FieldError(
                    "agent",
                    "申报单位或境内收发货人须为本企业",
                    "the declaring unit (agent) or the consignee must be your enterprise",
                )
            ],
        )
    return content.model_copy(update=updates), "both" if len(own) == 2 else own[0], []


def _conflict(identity: Identity, side: str, code: str | None) -> FieldError:
    wrong = "uscc" if code == identity.ent_code else "code"
    return FieldError(
        f"{side}.{wrong}",
        f"{_SIDE_ZH[side]}({side})的海关编码与统一社会信用代码须属于同一企业："
        f"本企业为 {identity.ent_code} / {identity.ent_uscc}",
        f"{side}: the customs code and the credit code must belong to the same enterprise; "
        f"yours are {identity.ent_code} / {identity.ent_uscc}",
    )


def owns(identity: Identity, decl: Declaration) -> bool:
    """Only the enterprise that imported a declaration sees it, changes it and has it declared."""
    return decl.owner_ent == identity.ent_code


def party_mismatch(decl: Declaration, ent_code: str, ent_uscc: str | None) -> list[str]:
    """Why a stored record's own side does not agree with its owner's enabled pair (empty: fine).

    For the offline check (scripts/check_tenancy.py): records from before the rule are reported,
    never rewritten.
    """
    owner = Identity(ent_code=ent_code, ent_uscc=ent_uscc, role="operator", card_no="-", sub="-")
    problems = []
    sides = decl.owner_sides
    if not sides:
        problems.append("the owner is on neither side of the form")
    for side in SIDES:
        party = getattr(decl.content, side)
        match = owner.match_party(party.code, party.uscc)
        if match is PartyMatch.CONFLICT:
            problems.append(f"{side} mixes the owner's codes with another enterprise's ({party.code} / {party.uscc})")
        elif side in sides and match is not PartyMatch.OWN:
            problems.append(f"{side} is keyed to the owner but names {party.code} / {party.uscc}")
    return problems
