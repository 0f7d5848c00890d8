"""ExchangeCustomsGateway: customs through the Single Window client's folders (docs/customs-channel.md).

`declare` does not reach customs: it puts the message in the declaring enterprise's exchange outbox,
where its agent takes it, and answers *queued* (CustomsResponse.handed_over); customs' answer comes
later, in a file the client writes (services/exchange_inbox.py). `lookup` finds what an earlier
declare of the same ClientSeqNo left: a redelivered submit message must not put a second send.
"""

from __future__ import annotations

import hashlib
import re

from chalicelib.domain.customs import CustomsResponse
from chalicelib.domain.exchange import Answer, Send, next_send
from chalicelib.services.exchange_ports import ExchangeOutbox
from chalicelib.services.ports import Clock, CustomsGateway, utc_now

_VERSION = re.compile(rb"<(?:\w+:)?DecMessage\b[^>]*?\bVersion\s*=\s*[\"']([^\"']+)[\"']")


def message_version_of(xml: bytes, default: str) -> str:
    """The Version the DecMessage says it is (what the client will read), else the deployment's."""
    found = _VERSION.search(xml[:2000])
    return found.group(1).decode("ascii", "replace") if found else default


class ExchangeCustomsGateway(CustomsGateway):
    def __init__(self, outbox: ExchangeOutbox, *, message_version: str = "4.8", clock: Clock = utc_now) -> None:
        self._outbox, self._clock = outbox, clock
        self.message_version: str | None = message_version

    def declare(self, client_seq_no: str, dec_message_xml: bytes, *, ent_code: str | None = None) -> CustomsResponse:
        """A new send unless the ClientSeqNo's latest is still with the client (or was accepted):
        customs never has two live messages under one ClientSeqNo."""
        if not ent_code:
            raise ValueError("the exchange channel needs the declaring enterprise (ent_code)")
        sends = self._outbox.sends(client_seq_no)
        latest = sends[-1] if sends else None
        if latest is not None and (latest.open or latest.answer == Answer.ACCEPTED):
            return answer_of(latest)
        send_no, first_try = next_send(latest)
        send = Send(
            client_seq_no=client_seq_no,
            send_no=send_no,
            ent_code=ent_code,
            ie_flag=client_seq_no[:1],
            message_version=message_version_of(dec_message_xml, self.message_version or ""),
            sha256=hashlib.sha256(dec_message_xml).hexdigest(),
            first_try=first_try,
            created_at=self._clock(),
            xml=dec_message_xml,
        )
        if not self._outbox.put(send):  # another delivery put it first: that send is the one
            found = self.lookup(client_seq_no)
            if found is None:  # cannot be: a put refused for an existing key
                raise RuntimeError(f"send {client_seq_no}/{send_no} refused but not found")
            return found
        return CustomsResponse.handed_over(client_seq_no, send_no)

    def lookup(self, client_seq_no: str) -> CustomsResponse | None:
        sends = self._outbox.sends(client_seq_no)
        return answer_of(sends[-1]) if sends else None


def answer_of(send: Send) -> CustomsResponse:
    """What a send says of its ClientSeqNo: still with the client, accepted, or refused."""
    if send.open:
        return CustomsResponse.handed_over(send.client_seq_no, send.send_no)
    accepted = send.answer == Answer.ACCEPTED
    return CustomsResponse(
        accepted,
        send.response_code or ("0" if accepted else str(send.answer)),
        send.message or "",
        send.client_seq_no,
        send.customs_seq_no,
        send_no=send.send_no,
    )
