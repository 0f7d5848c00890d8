"""What customs answers to a declaration message (DecImportResponse)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CustomsResponse:
    """The communication receipt: ResponseCode 0 = accepted into customs' queue."""

    accepted: bool
    response_code: str
    message: str  # ErrorMessage (Chinese) or the success note, e.g. 申报成功
    client_seq_no: str
    seq_no: str | None = None  # customs' own 统一编号, when accepted
    raw_xml: str = ""
