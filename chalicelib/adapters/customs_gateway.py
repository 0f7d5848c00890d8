"""HttpCustomsGateway: DecMessage to customs over HTTP, DecImportResponse back.

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

import base64
import binascii
import codecs
import logging
import re
import time
from collections.abc import Callable
from typing import Any, TypedDict, Unpack
from urllib.parse import urlencode
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
import requests
from defusedxml import DefusedXmlException

from chalicelib.domain.customs import CustomsResponse
from chalicelib.services.ports import CustomsGateway, CustomsUnavailable

log = logging.getLogger(__name__)

_TRANSIENT = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
_XML_DECL = re.compile(r"^\s*<\?xml\s.*?\?>", re.DOTALL)
_ENCODING = re.compile(rb"^\s*<\?xml\s[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "x-gbk", "euc-cn"}


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
            return parse_dec_import_response(response.content, client_seq_no)
        if 400 <= status < 500:
            # customs refuses an unreadable message with a 4xx that still carries the reason
            try:
                return parse_dec_import_response(response.content, client_seq_no)
            except CustomsProtocolError:
                pass
        raise CustomsProtocolError(f"customs answered HTTP {status} for {client_seq_no}: {response.text[:200]}")


def parse_dec_import_response(data: bytes, client_seq_no: str) -> CustomsResponse:
    """The DecImportResponse in `data` (any namespace or none, possibly inside a DxpMsg envelope)."""
    text = _decode(data)
    root = _parse(text)
    if _local(root.tag) == "DxpMsg":
        root = _parse(_decode(_envelope_data(root)))
    found = [node for node in root.iter() if _local(node.tag) == "DecImportResponse"]
    if not found:
        raise CustomsProtocolError("the answer holds no DecImportResponse")
    answer = found[0]
    code = _child_text(answer, "ResponseCode")
    if code is None:
        raise CustomsProtocolError("the DecImportResponse has no ResponseCode")
    echoed = _child_text(answer, "ClientSeqNo")
    if echoed and echoed != client_seq_no:
        raise CustomsProtocolError(f"customs answered for ClientSeqNo {echoed}, not {client_seq_no}")
    return CustomsResponse(
        accepted=code == "0",
        response_code=code,
        message=_child_text(answer, "ErrorMessage") or "",
        client_seq_no=client_seq_no,
        seq_no=_child_text(answer, "SeqNo"),
        raw_xml=text,
    )


def _decode(data: bytes) -> str:
    """Text of the XML: BOM first, then the declared encoding (GB2312/GBK read as GB18030)."""
    try:
        if data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8) :].decode("utf-8")
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16")
        match = _ENCODING.match(data)
        declared = match.group(1).decode("ascii").lower() if match else "utf-8"
        return data.decode("gb18030" if declared in _GB_FAMILY else declared)
    except (LookupError, UnicodeDecodeError) as exc:
        raise CustomsProtocolError(f"the answer is not readable text ({exc})") from None


def _parse(text: str) -> Element:
    try:
        # the declaration goes: the text is decoded already, and expat knows no GB2312
        return SafeET.fromstring(_XML_DECL.sub("", text, count=1), forbid_dtd=True)
    except DefusedXmlException:
        raise CustomsProtocolError("the answer declares a DTD or entities; refused") from None
    except ParseError as exc:
        raise CustomsProtocolError(f"the answer is not well-formed XML ({exc})") from None


def _envelope_data(envelope: Element) -> bytes:
    data = next((node for node in envelope.iter() if _local(node.tag) == "Data"), None)
    try:
        return base64.b64decode("".join((data.text or "").split()) if data is not None else "", validate=True)
    except (binascii.Error, ValueError):
        raise CustomsProtocolError("the DxpMsg envelope's Data is not base64") from None


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _child_text(element: Element, name: str) -> str | None:
    """Stripped text of the first child called `name`; empty counts as absent."""
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip() or None
    return None
