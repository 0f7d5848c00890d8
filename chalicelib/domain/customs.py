"""What customs answers to a declaration message (DecImportResponse), or that it will answer later."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CustomsResponse:
    """The communication receipt: ResponseCode 0 = accepted into customs' queue.

    Through the Single Window client the answer comes later, in a file the client writes: the
    channel then answers `queued` (handed to the client as send `send_no`), and the declaration waits
    for the DecImportResponse in its *handed over* step (lifecycle.handed_over)."""

    accepted: bool
    response_code: str
    message: str  # ErrorMessage (Chinese) or the success note, e.g. 申报成功
    client_seq_no: str
    seq_no: str | None = None  # customs' own 统一编号, when accepted
    raw_xml: str = ""
    queued: bool = False  # handed to the Single Window client: customs has not answered yet
    send_no: int | None = None  # which send of the ClientSeqNo (exchange channel)

    @classmethod
    def handed_over(cls, client_seq_no: str, send_no: int) -> CustomsResponse:
        return cls(False, "queued", "已交报文客户端", client_seq_no, queued=True, send_no=send_no)
