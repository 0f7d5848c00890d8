"""Mainland SMS providers: Alibaba Cloud SMS (SendSms through its official SDK) and a local stand-in.

A provider sends only approved templates: the request is the number, the approved signature, the
template code of the message kind, and the template's variables as JSON (domain/messages.py).
The stand-in writes exactly that request, as the SDK would put it on the wire (PhoneNumbers,
SignName, TemplateCode, TemplateParam), to the outbox folder, so tests and `make run` can read it.

The SDK (`alibabacloud_dysmsapi20170525`, with tea-openapi and darabonba) is imported when the first
SMS is sent, never at import: the notify and API functions never pay for it at cold start.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib.domain.sms import REFUSED_CODES, THROTTLED_CODES, SmsRequest

ALIYUN_ENDPOINT = "dysmsapi.aliyuncs.com"


class SmsCredentialsInvalid(RuntimeError):
    """The SSM SecureString holding the provider's keys is missing or malformed (fail at cold start)."""


@dataclass(frozen=True)
class SmsResult:
    code: str  # the provider's answer code ("OK" on success)
    message: str = ""
    biz_id: str | None = None  # the provider's receipt id (delivery reports)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.code == "OK"

    @property
    def throttled(self) -> bool:
        """Flow control: send later, never drop."""
        return self.code in THROTTLED_CODES

    @property
    def refused(self) -> bool:
        """Will never succeed as asked (bad number, template, signature): give up at once."""
        return self.code in REFUSED_CODES

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "code": self.code,
            "message": self.message,
            "biz_id": self.biz_id,
            "duration_ms": self.duration_ms,
        }


class AliyunSmsSender:
    """SendSms of Alibaba Cloud SMS (API version 2017-05-25) with an AccessKey pair of a RAM user
    that holds only AliyunDysmsFullAccess (or a narrower custom policy on dysms:SendSms)."""

    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        endpoint: str = ALIYUN_ENDPOINT,
        client: Any = None,
        timeout_ms: int = 5000,
    ) -> None:
        self._key_id, self._key_secret, self._endpoint = access_key_id, access_key_secret, endpoint
        self._client, self._timeout_ms = client, timeout_ms

    def _sdk(self) -> Any:
        if self._client is None:
            from alibabacloud_dysmsapi20170525.client import Client  # lazy: ~6 MB of SDK, first SMS only
            from alibabacloud_tea_openapi import utils_models as open_api_models

            self._client = Client(
                open_api_models.Config(
                    access_key_id=self._key_id, access_key_secret=self._key_secret, endpoint=self._endpoint
                )
            )
        return self._client

    def send(self, request: SmsRequest) -> SmsResult:
        from alibabacloud_dysmsapi20170525 import models
        from darabonba.runtime import RuntimeOptions

        call = request.as_api_call()
        sdk_request = models.SendSmsRequest(
            phone_numbers=call["PhoneNumbers"],
            sign_name=call["SignName"],
            template_code=call["TemplateCode"],
            template_param=call["TemplateParam"],
        )
        started = time.monotonic()
        try:
            response = self._sdk().send_sms_with_options(
                sdk_request, RuntimeOptions(connect_timeout=self._timeout_ms, read_timeout=self._timeout_ms)
            )
        except Exception as exc:  # noqa: BLE001 - the SDK raises its own errors (HTTP, throttling, network)
            code = str(getattr(exc, "code", None) or type(exc).__name__)
            return SmsResult(
                code=code,
                message=str(getattr(exc, "message", exc))[:300],
                duration_ms=int((time.monotonic() - started) * 1000),
            )
        body = response.body
        return SmsResult(
            code=body.code or "Unknown",
            message=body.message or "",
            biz_id=body.biz_id,
            duration_ms=int((time.monotonic() - started) * 1000),
        )


class StandInSmsSender:
    """Local stand-in: writes each SendSms call to `<folder>/sms/<n>.json` and answers `answers` in turn
    (then "OK"), so tests can make the provider throttle or refuse."""

    def __init__(self, folder: str | Path, answers: list[str] | None = None) -> None:
        self.folder = Path(folder) / "sms"
        self.answers = list(answers or [])
        self._lock = threading.Lock()
        self.calls: list[dict[str, str]] = []

    def send(self, request: SmsRequest) -> SmsResult:
        with self._lock:
            code = self.answers.pop(0) if self.answers else "OK"
            if code != "OK":
                return SmsResult(code=code, message="stand-in answer")
            call = request.as_api_call()
            self.calls.append(call)
            self.folder.mkdir(parents=True, exist_ok=True)
            name = f"{time.strftime('%Y%m%dT%H%M%S')}-{len(list(self.folder.iterdir())):05d}.json"
            (self.folder / name).write_text(json.dumps(call, ensure_ascii=False, indent=1), encoding="utf-8")
            return SmsResult(code="OK", message="OK", biz_id=f"standin-{len(self.calls)}")


def read_credentials(ssm: Any, parameter_name: str) -> tuple[str, str]:
    """The provider's AccessKey pair from an SSM SecureString holding
    {"access_key_id": "...", "access_key_secret": "..."}; refuses anything else at cold start."""
    try:
        value = ssm.get_parameter(Name=parameter_name, WithDecryption=True)["Parameter"]["Value"]
        keys = json.loads(value)
    except Exception as exc:  # any failure here means no SMS can be sent
        raise SmsCredentialsInvalid(f"SMS credentials {parameter_name} cannot be read: {type(exc).__name__}") from exc
    key_id, secret = (
        (keys.get("access_key_id"), keys.get("access_key_secret")) if isinstance(keys, dict) else (None, None)
    )
    for name, v in (("access_key_id", key_id), ("access_key_secret", secret)):
        if not isinstance(v, str) or not re.fullmatch(r"[A-Za-z0-9]{12,64}", v):
            raise SmsCredentialsInvalid(f"SMS credentials {parameter_name}: {name} missing or malformed")
    return str(key_id), str(secret)  # both checked above
