"""Classification checks (商品归类): HS code, declaration elements (申报要素), licences (监管证件).

What each check does and where its table came from: docs/classification.md. In short:

- at import: a code whose first six digits are not an HS 2022 subheading is refused
  (``import_errors``, field errors naming the nearest valid codes);
- at the gates, refused (``refusals``): the same unknown code (declarations stored before the
  check), 品牌类型 missing or not 0-4, an export's 出口享惠情况 missing or not 0-2, goods
  prohibited in the declaration's direction;
- at the gates, waiting (``missing_licences``): a licence the goods need and the declaration
  lacks (``waiting_reason`` ``licence``);
- advisory prompts (``item_advisories``, called by domain/advisories.py): national digits 7-10
  not checked, 规格型号 elements missing or extra, an import's 出口享惠情况 other than 3.

The tables load at the first check, never at import of this package (cold starts stay as they
were).
"""

from __future__ import annotations

from ..advisories import Advisory
from ..declaration import DeclarationContent, GoodsItem
from ..errors import FieldError
from . import declaration_elements, hs_codes, licences
from .declaration_elements import Refusal
from .licences import MissingLicence

__all__ = ["MissingLicence", "Refusal", "import_errors", "item_advisories", "missing_licences", "refusals"]


def import_errors(content: DeclarationContent) -> list[FieldError]:
    return hs_codes.import_errors(content)


def refusals(content: DeclarationContent) -> list[dict[str, object]]:
    """Every reason customs would refuse the goods, as the gates log them (each with message_zh/en)."""
    unknown = hs_codes.unknown_subheadings(content)
    return unknown + [r.as_json() for r in declaration_elements.refusals(content) + licences.refusals(content)]


def unchecked_national_codes(content: DeclarationContent) -> list[dict[str, object]]:
    return hs_codes.unchecked_national_codes(content)


def missing_licences(content: DeclarationContent) -> list[MissingLicence]:
    return licences.missing(content)


def item_advisories(content: DeclarationContent, item: GoodsItem) -> list[Advisory]:
    """The classification prompts of one goods item, in a stable order."""
    return hs_codes.national_advisory(item) + declaration_elements.item_advisories(content, item)
