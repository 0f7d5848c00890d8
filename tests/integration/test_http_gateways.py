"""HttpCustomsGateway and HttpLogisticsGateway against the customs simulator on loopback."""

from __future__ import annotations

import base64
import socket
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import requests

from chalicelib.adapters.customs_gateway import CustomsProtocolError, HttpCustomsGateway
from chalicelib.adapters.logistics_gateway import HttpLogisticsGateway
from chalicelib.domain.logistics import ArrivalReport, Manifest
from chalicelib.formats.dec_import_response import ResponseUnreadable, parse_dec_import_response
from chalicelib.services.ports import CustomsUnavailable

from ._simulator_helpers import control_get, control_post, dec_message, running_simulator

TINY = 0.001


class CountingSession(requests.Session):
    """A real session that counts the requests it makes."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def request(self, *args, **kwargs):  # type: ignore[override]
        self.calls += 1
        return super().request(*args, **kwargs)


@pytest.fixture(scope="module")
def simulator_url():
    with running_simulator() as (_, base_url):
        yield base_url


@pytest.fixture
def base_url(simulator_url):
    control_post(simulator_url, "/control/reset")
    return simulator_url


def gateway(base_url: str, **overrides) -> HttpCustomsGateway:
    return HttpCustomsGateway(base_url, **{"timeout_seconds": 2.0, "backoff_seconds": TINY, **overrides})


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


# ---- declare ----------------------------------------------------------------------------


def test_an_accepted_declaration_maps_to_an_accepted_response_with_customs_seq_no(base_url):
    response = gateway(base_url).declare("C001", dec_message("C001"))

    assert response.accepted and response.response_code == "0" and response.message == "申报成功"
    assert response.client_seq_no == "C001" and response.seq_no and response.seq_no.startswith("I")
    assert "<DecImportResponse>" in response.raw_xml


def test_a_refused_declaration_maps_to_a_refused_response_with_the_chinese_reason(base_url):
    response = gateway(base_url).declare("C001", dec_message("C001", agreement=False))

    assert not response.accepted and response.response_code != "0"
    assert "缺少代理报关委托协议" in response.message and response.seq_no is None


def test_sending_the_same_client_seq_no_again_returns_the_same_answer(base_url):
    customs = gateway(base_url)

    first = customs.declare("C001", dec_message("C001"))
    again = customs.declare("C001", dec_message("C001"))

    assert again == first
    assert control_get(base_url, "/control/stats")["duplicates"] == 1


def test_a_500_followed_by_recovery_succeeds_on_the_retry(base_url):
    control_post(base_url, "/control/mode", {"mode": "error500"})
    sleeps: list[float] = []

    def recover_while_waiting(seconds: float) -> None:
        sleeps.append(seconds)
        control_post(base_url, "/control/mode", {"mode": "normal"})

    response = gateway(base_url, sleep=recover_while_waiting).declare("C001", dec_message("C001"))

    assert response.accepted and sleeps == [TINY]


def test_customs_down_for_every_attempt_raises_customs_unavailable_after_backing_off(base_url):
    control_post(base_url, "/control/mode", {"mode": "down"})
    session, sleeps = CountingSession(), []

    with pytest.raises(CustomsUnavailable, match="503"):
        gateway(base_url, retries=3, backoff_seconds=0.01, session=session, sleep=sleeps.append).declare(
            "C001", dec_message("C001")
        )

    assert session.calls == 4 and sleeps == [0.01, 0.02, 0.04]


def test_an_unreachable_customs_raises_customs_unavailable_after_the_retries():
    session = CountingSession()

    with pytest.raises(CustomsUnavailable) as caught:
        gateway(closed_port_url(), retries=2, session=session).declare("C001", dec_message("C001"))

    assert session.calls == 3 and isinstance(caught.value.__cause__, requests.ConnectionError)
    assert not isinstance(caught.value, CustomsProtocolError)


def test_a_time_out_is_retried_and_the_retry_gets_the_stored_answer(base_url):
    session = CountingSession()
    slow_first_time = dec_message("C001", note="SANDBOX:SLOW")  # the first arrival answers after 0.3 s

    response = gateway(base_url, timeout_seconds=0.1, session=session).declare("C001", slow_first_time)

    assert response.accepted and session.calls == 2
    stats = control_get(base_url, "/control/stats")
    assert stats["declarations"] == 1 and stats["duplicates"] == 1


def test_customs_slower_than_the_time_out_on_every_attempt_raises_customs_unavailable(base_url):
    control_post(base_url, "/control/mode", {"mode": "slow", "slow_seconds": 0.3})
    session = CountingSession()

    with pytest.raises(CustomsUnavailable) as caught:
        gateway(base_url, timeout_seconds=0.05, retries=1, session=session).declare("C001", dec_message("C001"))

    assert session.calls == 2 and isinstance(caught.value.__cause__, requests.Timeout)


def test_an_unreadable_message_answered_400_is_a_refusal_and_not_retried(base_url):
    session = CountingSession()

    response = gateway(base_url, session=session).declare("C001", b"<DecMessage><unclosed></DecMessage>")

    assert not response.accepted and "XML" in response.message and session.calls == 1


def test_a_4xx_without_a_customs_answer_is_a_protocol_error_and_not_retried():
    session = CountingSession()
    with running_simulator(auth_token="right") as (_, url):
        with pytest.raises(CustomsProtocolError, match="401"):
            gateway(url, auth_token="wrong", session=session).declare("C001", dec_message("C001"))

    assert session.calls == 1


def test_the_bearer_token_is_sent_when_configured():
    with running_simulator(auth_token="right") as (_, url):
        response = gateway(url, auth_token="right").declare("C001", dec_message("C001"))

    assert response.accepted


# ---- lookup -----------------------------------------------------------------------------


def test_lookup_is_none_before_the_declaration_and_the_stored_answer_after(base_url):
    customs = gateway(base_url)

    before = customs.lookup("C001")
    sent = customs.declare("C001", dec_message("C001"))
    after = customs.lookup("C001")

    assert before is None and after == sent


def test_lookup_while_customs_is_down_raises_customs_unavailable(base_url):
    control_post(base_url, "/control/mode", {"mode": "down"})

    with pytest.raises(CustomsUnavailable):
        gateway(base_url, retries=1, sleep=lambda _: None).lookup("C001")


# ---- reading DecImportResponse as other systems write it ----------------------------------

NAMESPACED = (
    '<?xml version="1.0" encoding="UTF-8"?><ns2:DecImportResponse xmlns:ns2="http://www.chinaport.gov.cn/dec">'
    "<ns2:ResponseCode>0</ns2:ResponseCode><ns2:ErrorMessage>暂存成功</ns2:ErrorMessage>"
    "<ns2:ClientSeqNo>C001</ns2:ClientSeqNo><ns2:SeqNo>I20240000000000042</ns2:SeqNo></ns2:DecImportResponse>"
)


@pytest.mark.parametrize(
    "data",
    [
        NAMESPACED.encode("utf-8"),
        b"\xef\xbb\xbf" + NAMESPACED.encode("utf-8"),
        NAMESPACED.replace("UTF-8", "GB2312").encode("gb18030"),
        (
            '<DxpMsg xmlns="http://www.chinaport.gov.cn/dxp"><TransInfo><MsgType>DEC</MsgType></TransInfo><Data>\n'
            + base64.encodebytes(NAMESPACED.encode("utf-8")).decode()
            + "</Data></DxpMsg>"
        ).encode(),
    ],
    ids=["ns2-prefix", "bom", "gb2312", "dxp-envelope"],
)
def test_a_dec_import_response_is_read_in_any_namespace_encoding_or_envelope(data):
    response = parse_dec_import_response(data, "C001")

    assert (response.accepted, response.message, response.seq_no) == (True, "暂存成功", "I20240000000000042")


@pytest.mark.parametrize(
    "data",
    [
        b"not xml",
        b"<Other/>",
        b'<!DOCTYPE x [<!ENTITY a "b">]><DecImportResponse>&a;</DecImportResponse>',
        b"<DecImportResponse><ResponseCode>0</ResponseCode><ClientSeqNo>C999</ClientSeqNo></DecImportResponse>",
    ],
    ids=["not-xml", "other-message", "dtd", "someone-elses-answer"],
)
def test_an_answer_that_is_not_our_dec_import_response_is_refused(data):
    with pytest.raises(ResponseUnreadable):
        parse_dec_import_response(data, "C001")


# ---- logistics --------------------------------------------------------------------------


def logistics(base_url: str, **overrides) -> HttpLogisticsGateway:
    return HttpLogisticsGateway(base_url, **{"timeout_seconds": 2.0, "backoff_seconds": TINY, **overrides})


def test_a_manifest_is_read_with_its_weight_as_a_decimal(base_url):
    requests.put(
        f"{base_url}/logistics/manifests/BL%2F01",
        timeout=5,  # the gateway quotes the slash too
        json={"pack_no": 10, "gross_wt": "1250.5", "traf_name": "CA986", "voyage_no": "20240320"},
    )

    found = logistics(base_url).manifest("BL/01")

    assert found == Manifest("BL/01", 10, Decimal("1250.5"), "CA986", "20240320")


def test_an_arrival_is_read_with_its_time_zone(base_url):
    requests.put(
        f"{base_url}/logistics/arrivals/BL1",
        json={"arrived": True, "arrived_at": "2024-03-20T10:00:00+08:00"},
        timeout=5,
    )

    found = logistics(base_url).arrival("BL1")

    assert found == ArrivalReport("BL1", True, datetime(2024, 3, 20, 10, tzinfo=timezone(timedelta(hours=8))))


def test_unknown_bills_have_no_manifest_and_no_arrival(base_url):
    gateway_ = logistics(base_url)

    assert gateway_.manifest("NOPE") is None and gateway_.arrival("NOPE") is None


def test_logistics_while_customs_is_down_raises_customs_unavailable(base_url):
    control_post(base_url, "/control/mode", {"mode": "down"})
    session = CountingSession()

    with pytest.raises(CustomsUnavailable):
        logistics(base_url, retries=2, session=session, sleep=lambda _: None).manifest("BL1")

    assert session.calls == 3
