"""HttpCustomsGateway: DecMessage to customs over HTTP, DecImportResponse back (read by formats/).

Credentials: the real Single Window is reached through a card/certificate-based channel (an
IC card or UKey signing the message, or the vendor's exchange client), not a bearer token.
`auth_token` (sent as `Authorization: Bearer …`) is the seam where that channel plugs in; the
simulator (infra/customs_simulator) can require it.

Retries: time-outs, connection errors and 5xx are retried with exponential back-off, then
CustomsUnavailable is raised. A resend is safe because customs treats a repeated ClientSeqNo
as the same declaration and answers it again. A 4xx is never retried: the same request would
fail the same way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypedDict, Unpack
from urllib.parse import urlencode

import requests

from chalicelib.domain.customs import CustomsResponse
from chalicelib.formats.dec_import_response import ResponseUnreadable, parse_dec_import_response
from chalicelib.services.ports import CustomsGateway, CustomsUnavailable

log = logging.getLogger(__name__)

_TRANSIENT = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)


class CustomsProtocolError(CustomsUnavailable):
    """Customs answered, but not usably: a 4xx without a DecImportResponse (our request, address
    or credentials are wrong), a redirect, or a body that is not the expected message. Not
    retried; a CustomsUnavailable so callers that only know the port still handle it."""


class HttpOptions(TypedDict, total=False):
    """RetryingHttp's settings, as the HTTP adapters pass them on."""

    timeout_seconds: float
    retries: int
    backoff_seconds: float
    session: requests.Session | None
    sleep: Callable[[float], None]
    auth_token: str | None


class RetryingHttp:
    """requests with the gateways' policy: retry transport failures and 5xx, never 4xx."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_seconds: float = 5.0,
        retries: int = 3,
        backoff_seconds: float = 0.5,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        auth_token: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self.retries = max(0, retries)
        self.backoff_seconds = backoff_seconds
        self.session = session or requests.Session()
        self.sleep = sleep
        self._auth = {"Authorization": f"Bearer {auth_token}"} if auth_token else {}

    def request(
        self, method: str, path: str, *, what: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> requests.Response:
        """The first answer below 500; CustomsUnavailable once every attempt failed."""
        url = self.base_url + path
        headers = {**(headers or {}), **self._auth}
        failure: str = ""
        cause: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff_seconds * 2 ** (attempt - 1))
            try:
                response = self.session.request(
                    method, url, headers=headers, timeout=self.timeout_seconds, allow_redirects=False, **kwargs
                )
            except _TRANSIENT as exc:
                failure, cause = f"{type(exc).__name__}: {exc}", exc
            except requests.RequestException as exc:  # e.g. an invalid URL: retrying cannot help
                raise CustomsProtocolError(f"{what}: the request could not be made ({exc})") from exc
            else:
                if response.status_code < 500:
                    return response
                failure, cause = f"HTTP {response.status_code}", None
            log.warning("%s: attempt %d of %d failed (%s)", what, attempt + 1, self.retries + 1, failure)
        raise CustomsUnavailable(f"{what}: {failure} after {self.retries + 1} attempts") from cause


class HttpPort:
    """What the customs-side HTTP adapters share: one retrying client.

    `retries` counts the resends after the first attempt (3 → at most 4 requests); back-off
    doubles from `backoff_seconds`. The per-request `timeout_seconds` bounds connect and read."""

    def __init__(self, base_url: str, **options: Unpack[HttpOptions]) -> None:
        self._http = RetryingHttp(base_url, **options)


class HttpCustomsGateway(HttpPort, CustomsGateway):
    """Declarations to customs, and what customs knows of a ClientSeqNo."""

    def declare(self, client_seq_no: str, dec_message_xml: bytes, *, ent_code: str | None = None) -> CustomsResponse:
        response = self._http.request(
            "POST",
            "/dec/declare",
            what=f"declare {client_seq_no}",
            data=dec_message_xml,
            headers={"Content-Type": "application/xml; charset=utf-8", "Accept": "application/xml"},
        )
        return self._answer(response, client_seq_no)

    def lookup(self, client_seq_no: str) -> CustomsResponse | None:
        response = self._http.request(
            "GET",
            "/dec/lookup?" + urlencode({"client_seq_no": client_seq_no}),
            what=f"lookup {client_seq_no}",
            headers={"Accept": "application/xml"},
        )
        if response.status_code == 404:
            return None
        return self._answer(response, client_seq_no)

    @staticmethod
    def _answer(response: requests.Response, client_seq_no: str) -> CustomsResponse:
        status = response.status_code
        if 200 <= status < 300:
            return _read_answer(response.content, client_seq_no)
        if 400 <= status < 500:
            # customs refuses an unreadable message with a 4xx that still carries the reason
            try:
                return _read_answer(response.content, client_seq_no)
            except CustomsProtocolError:
                pass
        raise CustomsProtocolError(f"customs answered HTTP {status} for {client_seq_no}: {response.text[:200]}")


def _read_answer(data: bytes, client_seq_no: str) -> CustomsResponse:
    """The DecImportResponse in an answer (formats/dec_import_response.py); a protocol error when none."""
    try:
        return parse_dec_import_response(data, client_seq_no)
    except ResponseUnreadable as exc:
        raise CustomsProtocolError(exc.reason_en) from None
