"""The customs simulator over HTTP: declarations, idempotency, sandbox outcomes, receipts, modes."""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from datetime import datetime, timedelta, timezone
from xml.etree.ElementTree import fromstring

import pytest
import requests

from ._simulator_helpers import (
    ReceiptReceiver,
    control_get,
    control_post,
    dec_message,
    declare,
    running_simulator,
    wait_until,
)

ENTRY_ID = re.compile(r"^\d{4}\d{4}[01]\d{9}$")
SECRET = "receipt-secret"


@pytest.fixture(scope="module")
def simulator_url():
    with running_simulator() as (_, base_url):
        yield base_url


@pytest.fixture
def base_url(simulator_url):
    control_post(simulator_url, "/control/reset")
    return simulator_url


@pytest.fixture
def receiver():
    receiver = ReceiptReceiver()
    yield receiver
    receiver.close()


def answer(response: requests.Response) -> dict[str, str]:
    return {child.tag: (child.text or "") for child in fromstring(response.content)}


def china_year() -> str:
    return str(datetime.now(timezone(timedelta(hours=8))).year)


# ---- declaring ----------------------------------------------------------------------------


@pytest.mark.parametrize("ie_flag,customs,digit", [("I", "0101", "1"), ("E", "2244", "0")])
def test_an_accepted_declaration_gets_a_seq_no_and_an_entry_id_in_the_customs_form(base_url, ie_flag, customs, digit):
    response = declare(base_url, dec_message("C001", ie_flag=ie_flag, custom_master=customs))

    assert response.status_code == 200
    got = answer(response)
    assert got["ResponseCode"] == "0" and got["ErrorMessage"] == "申报成功"
    assert got["ClientSeqNo"] == "C001" and re.match(rf"^{ie_flag}\d{{17}}$", got["SeqNo"])
    entry_id = control_get(base_url, "/control/declarations/C001")["entry_id"]
    assert ENTRY_ID.match(entry_id)
    assert entry_id[:4] == customs and entry_id[4:8] == china_year() and entry_id[8] == digit


def test_each_acceptance_at_one_customs_gets_the_next_entry_id(base_url):
    declare(base_url, dec_message("C001"))
    declare(base_url, dec_message("C002"))

    first = control_get(base_url, "/control/declarations/C001")["entry_id"]
    second = control_get(base_url, "/control/declarations/C002")["entry_id"]
    assert int(second[-9:]) == int(first[-9:]) + 1


def test_a_repeated_client_seq_no_returns_the_first_answer_and_counts_a_duplicate(base_url):
    first = declare(base_url, dec_message("C001"))

    again = declare(base_url, dec_message("C001", note="SANDBOX:REJECT"))  # an accepted one stays accepted
    declare(base_url, dec_message("C001"))

    assert again.content == first.content
    stats = control_get(base_url, "/control/stats")
    assert stats["declarations"] == 1 and stats["accepted"] == 1
    assert stats["duplicates"] == 2 and stats["duplicates_by_client_seq_no"] == {"C001": 2}


def test_concurrent_sends_of_one_client_seq_no_make_one_declaration(base_url):
    bodies: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: bodies.append(declare(base_url, dec_message("C001")).content)) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(bodies)) == 1
    stats = control_get(base_url, "/control/stats")
    assert stats["declarations"] == 1 and stats["duplicates"] == 7


def test_the_client_seq_no_falls_back_to_the_head_seq_no_without_dec_sign(base_url):
    body = (
        dec_message("X")
        .replace(b"<ClientSeqNo>X</ClientSeqNo>", b"")
        .replace(b"<SeqNo/>", b"<SeqNo>I20240000000000077</SeqNo>")
    )

    assert answer(declare(base_url, body))["ClientSeqNo"] == "I20240000000000077"


def test_lookup_finds_nothing_before_the_declaration_and_the_stored_answer_after(base_url):
    before = requests.get(f"{base_url}/dec/lookup", params={"client_seq_no": "C001"}, timeout=5)
    sent = declare(base_url, dec_message("C001"))
    after = requests.get(f"{base_url}/dec/lookup", params={"client_seq_no": "C001"}, timeout=5)

    assert before.status_code == 404
    assert after.status_code == 200 and after.content == sent.content


def test_a_message_in_gb2312_is_read_like_utf8(base_url):
    response = declare(base_url, dec_message("C001", encoding="GB2312"))

    assert answer(response)["ResponseCode"] == "0"


# ---- refusals ----------------------------------------------------------------------------


def test_a_sandbox_reject_note_refuses_the_declaration_with_a_chinese_message(base_url):
    response = declare(base_url, dec_message("C001", note="测试 SANDBOX:REJECT"))

    got = answer(response)
    assert response.status_code == 200
    assert got["ResponseCode"] != "0" and "SANDBOX:REJECT" in got["ErrorMessage"] and "SeqNo" not in got
    assert control_get(base_url, "/control/stats")["refused"] == 1


def test_a_forced_reject_outcome_refuses_that_client_seq_no_only(base_url):
    control_post(base_url, "/sandbox/outcomes", {"client_seq_no": "C001", "outcome": "reject"})

    assert answer(declare(base_url, dec_message("C001")))["ResponseCode"] != "0"
    assert answer(declare(base_url, dec_message("C002")))["ResponseCode"] == "0"


def test_a_forced_accept_outcome_wins_over_a_reject_note(base_url):
    control_post(base_url, "/sandbox/outcomes", {"client_seq_no": "C001", "outcome": "accept"})

    assert answer(declare(base_url, dec_message("C001", note="SANDBOX:REJECT")))["ResponseCode"] == "0"


def test_an_unknown_forced_outcome_is_a_bad_request(base_url):
    response = requests.post(
        f"{base_url}/sandbox/outcomes", json={"client_seq_no": "C1", "outcome": "maybe"}, timeout=5
    )

    assert response.status_code == 400


def test_an_agent_declaring_for_another_company_needs_the_agency_agreement(base_url):
    response = declare(base_url, dec_message("C001", agreement=False))

    got = answer(response)
    assert got["ResponseCode"] != "0" and "缺少代理报关委托协议" in got["ErrorMessage"]


def test_a_company_declaring_for_itself_needs_no_agency_agreement(base_url):
    body = dec_message("C001", agent_code="1101980002", trade_code="1101980002", agreement=False)

    assert answer(declare(base_url, body))["ResponseCode"] == "0"


def test_a_message_breaking_the_basic_rules_is_refused_with_every_reason(base_url):
    body = dec_message("C001", ie_flag="X", custom_master="12", code_ts="8471", oper_type="G")

    message = answer(declare(base_url, body))["ErrorMessage"]

    for part in ("IEFlag", "CustomMaster", "CodeTS", "OperType"):
        assert part in message


def test_a_refused_client_seq_no_can_be_corrected_and_sent_again(base_url):
    declare(base_url, dec_message("C001", agreement=False))

    again = answer(declare(base_url, dec_message("C001")))

    assert again["ResponseCode"] == "0"
    stats = control_get(base_url, "/control/stats")
    assert (stats["declarations"], stats["refused"], stats["accepted"]) == (1, 1, 1)
    assert stats["resent_after_refusal"] == 1 and stats["duplicates"] == 0
    lookup = requests.get(f"{base_url}/dec/lookup", params={"client_seq_no": "C001"}, timeout=5)
    assert answer(lookup)["ResponseCode"] == "0"


def test_a_body_declaring_a_dtd_is_refused_and_not_stored(base_url):
    body = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><DecMessage>&a;</DecMessage>'

    response = declare(base_url, body)

    assert response.status_code == 400 and answer(response)["ResponseCode"] != "0"
    assert control_get(base_url, "/control/stats")["declarations"] == 0


def test_a_body_that_is_not_xml_content_is_refused_with_415(base_url):
    response = requests.post(
        f"{base_url}/dec/declare", data=dec_message(), timeout=5, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 415


# ---- receipts ----------------------------------------------------------------------------


def receipts_as_dicts(receiver: ReceiptReceiver) -> list[dict[str, str]]:
    return [{child.tag: (child.text or "") for child in fromstring(r.body)} for r in receiver.received]


def test_receipts_l_then_p_reach_the_receiver_signed_with_the_shared_secret(base_url, receiver):
    control_post(base_url, "/control/receipts", {"url": receiver.url, "secret": SECRET})
    seq_no = answer(declare(base_url, dec_message("C001")))["SeqNo"]

    wait_until(lambda: len(receiver.received) == 2)

    for received in receiver.received:
        expected = "sha256=" + hmac.new(SECRET.encode(), received.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(received.headers["X-Receipt-Signature"], expected)
        assert received.headers["Content-Type"].startswith("application/xml")
    first, second = receipts_as_dicts(receiver)
    assert [first["CHANNEL"], second["CHANNEL"]] == ["L", "P"]
    entry_id = control_get(base_url, "/control/declarations/C001")["entry_id"]
    assert first["CUS_CIQ_NO"] == seq_no and first["ENTRY_ID"] == entry_id and first["CLIENT_SEQ_NO"] == "C001"
    assert first["CUSTOM_MASTER"] == "0101" and first["I_E_DATE"] == ""
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$", first["NOTICE_DATE"])
    assert wait_until(lambda: control_get(base_url, "/control/stats")["receipts_sent"] == 2)


def test_a_customs_reject_note_is_accepted_now_and_answered_with_l_then_e(base_url, receiver):
    control_post(base_url, "/control/receipts", {"url": receiver.url, "secret": SECRET})

    assert answer(declare(base_url, dec_message("C001", note="SANDBOX:CUSTOMS_REJECT")))["ResponseCode"] == "0"

    wait_until(lambda: len(receiver.received) == 2)
    assert [r["CHANNEL"] for r in receipts_as_dicts(receiver)] == ["L", "E"]


def test_a_forced_customs_reject_outcome_ends_in_e(base_url):
    control_post(base_url, "/sandbox/outcomes", {"client_seq_no": "C001", "outcome": "customs_reject"})
    declare(base_url, dec_message("C001"))

    kept = wait_until(
        lambda: len(control_get(base_url, "/control/receipts")) == 2 and control_get(base_url, "/control/receipts")
    )
    assert [r["channel"] for r in kept] == ["L", "E"]


def test_without_a_receipt_url_receipts_are_kept_for_reading(base_url):
    declare(base_url, dec_message("C001"))

    kept = wait_until(
        lambda: len(control_get(base_url, "/control/receipts")) == 2 and control_get(base_url, "/control/receipts")
    )

    assert [(r["client_seq_no"], r["channel"]) for r in kept] == [("C001", "L"), ("C001", "P")]
    assert "<CHANNEL>L</CHANNEL>" in kept[0]["xml"]
    assert control_get(base_url, "/control/stats")["receipts_sent"] == 0


def test_a_receiver_failing_once_gets_the_receipt_on_retry(base_url):
    receiver = ReceiptReceiver(fail_first=1)
    try:
        control_post(base_url, "/control/receipts", {"url": receiver.url, "secret": SECRET})
        declare(base_url, dec_message("C001"))

        wait_until(lambda: len(receiver.received) == 2)
        assert receiver.attempts == 3
        assert wait_until(lambda: control_get(base_url, "/control/stats")["receipts_sent"] == 2)
    finally:
        receiver.close()


def test_a_receiver_that_keeps_failing_is_retried_three_times_then_counted_as_failed(base_url):
    receiver = ReceiptReceiver(fail_first=1000)
    try:
        control_post(base_url, "/control/receipts", {"url": receiver.url, "secret": SECRET})
        declare(base_url, dec_message("C001"))

        stats = wait_until(lambda: (s := control_get(base_url, "/control/stats"))["receipts_failed"] == 2 and s)
        assert receiver.attempts == 2 * 4 and stats["receipts_sent"] == 0
    finally:
        receiver.close()


def test_no_receipt_is_issued_for_a_refused_declaration(base_url):
    declare(base_url, dec_message("C001", note="SANDBOX:REJECT"))
    # an accepted one after it: once its two receipts are out, the refused one's would have been too
    declare(base_url, dec_message("C002"))
    receipts = wait_until(
        lambda: (r := control_get(base_url, "/control/receipts")) and len(r) >= 2 and r,
        what="the accepted declaration's two receipts",
    )

    assert [r["client_seq_no"] for r in receipts] == ["C002", "C002"]


# ---- service modes ---------------------------------------------------------------------


def test_down_mode_answers_503_on_customs_and_logistics_while_control_still_works(base_url):
    control_post(base_url, "/control/mode", {"mode": "down"})

    assert declare(base_url, dec_message("C001")).status_code == 503
    assert requests.get(f"{base_url}/dec/lookup", params={"client_seq_no": "C001"}, timeout=5).status_code == 503
    assert requests.get(f"{base_url}/logistics/manifests/BL1", timeout=5).status_code == 503
    stats = control_get(base_url, "/control/stats")
    assert stats["mode"] == "down" and stats["declarations"] == 0


def test_error500_mode_answers_500_without_storing_anything(base_url):
    control_post(base_url, "/control/mode", {"mode": "error500"})

    assert declare(base_url, dec_message("C001")).status_code == 500

    control_post(base_url, "/control/mode", {"mode": "normal"})
    assert control_get(base_url, "/control/stats")["declarations"] == 0
    assert answer(declare(base_url, dec_message("C001")))["ResponseCode"] == "0"


def test_slow_mode_stores_the_declaration_before_answering_late(base_url):
    control_post(base_url, "/control/mode", {"mode": "slow", "slow_seconds": 0.3})

    with pytest.raises(requests.Timeout):
        declare(base_url, dec_message("C001"), timeout=0.1)

    assert control_get(base_url, "/control/declarations/C001")["accepted"] is True
    started = time.monotonic()
    assert answer(declare(base_url, dec_message("C001")))["ResponseCode"] == "0"
    assert time.monotonic() - started >= 0.3


def test_an_unknown_mode_is_a_bad_request(base_url):
    assert requests.post(f"{base_url}/control/mode", json={"mode": "asleep"}, timeout=5).status_code == 400


def test_a_sandbox_slow_note_delays_only_the_first_arrival(base_url):
    started = time.monotonic()
    declare(base_url, dec_message("C001", note="SANDBOX:SLOW"))
    first = time.monotonic() - started
    started = time.monotonic()
    declare(base_url, dec_message("C001", note="SANDBOX:SLOW"))
    second = time.monotonic() - started

    assert first >= 0.3 > second


def test_a_bearer_token_is_required_when_the_simulator_has_one():
    with running_simulator(auth_token="t0ken") as (_, url):
        refused = declare(url, dec_message("C001"))
        accepted = declare(url, dec_message("C001"), token="t0ken")

    assert refused.status_code == 401
    assert accepted.status_code == 200


# ---- logistics -------------------------------------------------------------------------


def test_a_manifest_can_be_put_read_and_deleted(base_url):
    url = f"{base_url}/logistics/manifests/BL%2F2024-01"
    payload = {"pack_no": 10, "gross_wt": "1250.5", "traf_name": "CA986", "voyage_no": "20240320"}

    assert requests.get(url, timeout=5).status_code == 404
    assert requests.put(url, json=payload, timeout=5).status_code == 200
    assert requests.get(url, timeout=5).json() == {"bill_no": "BL/2024-01", **payload}
    assert requests.delete(url, timeout=5).status_code == 204
    assert requests.get(url, timeout=5).status_code == 404


def test_an_arrival_can_be_put_read_and_deleted(base_url):
    url = f"{base_url}/logistics/arrivals/BL1"
    payload = {"arrived": True, "arrived_at": "2024-03-20T10:00:00+08:00"}

    requests.put(url, json=payload, timeout=5)

    assert requests.get(url, timeout=5).json() == {"bill_no": "BL1", **payload}
    assert requests.delete(url, timeout=5).status_code == 204
    assert requests.delete(url, timeout=5).status_code == 404


@pytest.mark.parametrize(
    "kind,payload",
    [
        ("manifests", {"pack_no": "ten", "gross_wt": "1"}),
        ("manifests", {"pack_no": 1, "gross_wt": "heavy"}),
        ("arrivals", {"arrived": "yes"}),
        ("arrivals", {"arrived": True, "arrived_at": "yesterday"}),
    ],
)
def test_a_malformed_logistics_record_is_a_bad_request(base_url, kind, payload):
    assert requests.put(f"{base_url}/logistics/{kind}/BL1", json=payload, timeout=5).status_code == 400


# ---- reset ------------------------------------------------------------------------------


def test_reset_clears_declarations_outcomes_logistics_receipts_and_mode(base_url):
    declare(base_url, dec_message("C001"))
    declare(base_url, dec_message("C001"))
    control_post(base_url, "/sandbox/outcomes", {"client_seq_no": "C002", "outcome": "reject"})
    requests.put(f"{base_url}/logistics/manifests/BL1", json={"pack_no": 1, "gross_wt": "1"}, timeout=5)
    control_post(base_url, "/control/mode", {"mode": "slow", "slow_seconds": 0.01})

    control_post(base_url, "/control/reset")

    stats = control_get(base_url, "/control/stats")
    assert (stats["declarations"], stats["duplicates"], stats["mode"]) == (0, 0, "normal")
    # a declaration after the reset: once its two receipts are out, the cleared one's would have been too
    declare(base_url, dec_message("C009"))
    receipts = wait_until(
        lambda: (r := control_get(base_url, "/control/receipts")) and len(r) >= 2 and r,
        what="the new declaration's two receipts",
    )
    assert [r["client_seq_no"] for r in receipts] == ["C009", "C009"]
    assert requests.get(f"{base_url}/dec/lookup", params={"client_seq_no": "C001"}, timeout=5).status_code == 404
    assert requests.get(f"{base_url}/logistics/manifests/BL1", timeout=5).status_code == 404
    assert answer(declare(base_url, dec_message("C002")))["ResponseCode"] == "0"


# ---- client mode: the Single Window client on a sandbox folder tree ------------------------------

CLIENT_SEQ = "I20240000000000101"


@pytest.fixture
def sandbox(tmp_path):
    from infra.customs_simulator.client_mode import make_sandbox

    return make_sandbox(tmp_path / "单一窗口 sandbox" / "ImpPath")


@pytest.fixture
def client_mode(sandbox):
    """A simulator (no HTTP) and its client on the sandbox, moved by hand with tick()."""
    from infra.customs_simulator.client_mode import SingleWindowClient
    from infra.customs_simulator.server import CustomsSimulator

    simulator = CustomsSimulator(receipt_delay_seconds=0.02)
    client = SingleWindowClient(simulator, sandbox, seed=7)
    yield client
    simulator.stop()


def put_zip(root, client_seq_no: str = CLIENT_SEQ, try_no: int = 1, **message) -> str:
    from smartdecl_agent.names import OutgoingName
    from smartdecl_agent.package import build_zip

    name = OutgoingName("I", client_seq_no, try_no)
    data = build_zip(dec_message(client_seq_no, **message), name, datetime(2024, 3, 20, 10, 0))
    (root / "Deccus001" / "OutBox" / name.zip_name).write_bytes(data)
    return name.stem


def box(root, folder: str) -> list[str]:
    return sorted(p.name for p in (root / "Deccus001" / folder).iterdir())


def inbox_file(root, prefix: str):
    """The one InBox file named so, once whole: the client writes a .tmp and renames it."""
    inbox = root / "Deccus001" / "InBox"

    def whole():
        return [p for p in inbox.iterdir() if p.name.startswith(prefix) and p.suffix != ".tmp"]

    wait_until(whole, what=f"{prefix}… in InBox")
    found = whole()
    assert len(found) == 1, [p.name for p in inbox.iterdir()]
    return found[0]


def test_client_mode_refuses_a_root_without_the_sandbox_marker(tmp_path):
    from infra.customs_simulator.client_mode import NotASandbox, SingleWindowClient
    from infra.customs_simulator.server import CustomsSimulator

    real = tmp_path / "ImpPath"
    (real / "Deccus001" / "OutBox").mkdir(parents=True)
    (real / "Deccus001" / "OutBox" / "I_X_t-1.zip").write_bytes(b"a broker's real file")
    with pytest.raises(NotASandbox):
        SingleWindowClient(CustomsSimulator(), real)
    with pytest.raises(NotASandbox):
        from infra.customs_simulator import start_simulator

        start_simulator(client_roots={"real": real})
    assert (real / "Deccus001" / "OutBox" / "I_X_t-1.zip").exists()


def test_client_mode_sends_a_zip_answers_successed_in_gb18030_then_writes_the_receipts(client_mode, sandbox):
    # Given the agent's zip in OutBox
    stem = put_zip(sandbox)
    # When the client takes it
    assert client_mode.tick() == 1
    # Then it is in SentBox, and InBox has Successed_<stem>_<yyyyMMddHHmmss…> (no extension) in GB18030
    assert box(sandbox, "OutBox") == [] and box(sandbox, "SentBox") == [f"{stem}.zip"]
    answer_file = inbox_file(sandbox, f"Successed_{stem}_")
    assert re.fullmatch(rf"Successed_{stem}_\d{{24}}", answer_file.name)
    data = answer_file.read_bytes()
    assert data.startswith(b'<?xml version="1.0" encoding="GB18030"?>')
    assert fromstring(data.decode("gb18030").split("?>", 1)[1]).findtext("ResponseCode") == "0"
    assert "申报成功" in data.decode("gb18030")
    # and then the receipts 入库成功 and 放行, each as its own file, none left as .tmp
    receipts = wait_until(
        lambda: (
            (r := sorted(p.name for p in (sandbox / "Deccus001" / "InBox").glob("Receipt_*"))) and len(r) == 2 and r
        ),
        what="two receipts in InBox",
    )
    assert [name.split("_")[2] for name in receipts] == ["L", "P"]
    assert not list((sandbox / "Deccus001" / "InBox").glob("*.tmp"))


def test_client_mode_writes_utf_8_when_told(client_mode, sandbox):
    client_mode.configure({"encoding": "utf-8"})
    stem = put_zip(sandbox)
    client_mode.tick()
    assert inbox_file(sandbox, f"Successed_{stem}_").read_bytes().startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_client_mode_answers_a_refused_declaration_with_failed_and_its_reasons(client_mode, sandbox):
    stem = put_zip(sandbox, note="SANDBOX:REJECT")
    client_mode.tick()
    text = inbox_file(sandbox, f"Failed_{stem}_").read_bytes().decode("gb18030")
    assert "<ResponseCode>1</ResponseCode>" in text and "SANDBOX:REJECT" in text
    assert box(sandbox, "SentBox") == [f"{stem}.zip"]


def test_client_mode_moves_forced_tries_to_failbox_and_sends_the_next(client_mode, sandbox):
    client_mode.force_failures(CLIENT_SEQ, 1)
    stem = put_zip(sandbox)
    client_mode.tick()
    assert box(sandbox, "FailBox") == [f"{stem}.zip"] and box(sandbox, "InBox") == []
    second = put_zip(sandbox, try_no=2)
    client_mode.tick()
    assert box(sandbox, "SentBox") == [f"{second}.zip"]
    assert client_mode.status()["failed"] == 1 and client_mode.status()["sent"] == 1


def test_client_mode_fails_every_file_at_a_fail_rate_of_one(client_mode, sandbox):
    client_mode.configure({"fail_rate": 1})
    stems = [put_zip(sandbox, f"I2024000000000020{n}") for n in range(3)]
    client_mode.tick()
    assert box(sandbox, "FailBox") == sorted(f"{s}.zip" for s in stems)


def test_client_mode_writes_a_card_failure_with_its_fail_code(client_mode, sandbox):
    client_mode.force_card_failure(None, "C134")
    stem = put_zip(sandbox)
    client_mode.tick()
    text = inbox_file(sandbox, f"Failed_{stem}_").read_bytes().decode("gb18030")
    assert "<failCode>C134</failCode>" in text and "<ResponseCode>1</ResponseCode>" in text
    assert client_mode.status()["card_failures"] == 1
    assert client_mode.simulator.declaration(CLIENT_SEQ) is None  # never reached customs


def test_client_mode_down_moves_nothing_until_it_is_up_again(client_mode, sandbox):
    client_mode.configure({"mode": "down"})
    stem = put_zip(sandbox)
    assert client_mode.tick() == 0 and box(sandbox, "OutBox") == [f"{stem}.zip"]
    client_mode.configure({"mode": "up"})
    assert client_mode.tick() == 1 and box(sandbox, "SentBox") == [f"{stem}.zip"]


def test_client_mode_answers_a_repeated_client_seq_no_as_the_same_declaration(client_mode, sandbox):
    first = put_zip(sandbox)
    client_mode.tick()
    second = put_zip(sandbox, try_no=2)
    client_mode.tick()
    one = inbox_file(sandbox, f"Successed_{first}_").read_bytes().decode("gb18030")
    two = inbox_file(sandbox, f"Successed_{second}_").read_bytes().decode("gb18030")
    assert re.search(r"<SeqNo>(\w+)</SeqNo>", one)[1] == re.search(r"<SeqNo>(\w+)</SeqNo>", two)[1]
    assert client_mode.simulator.stats()["duplicates"] == 1


def test_client_mode_is_driven_through_its_control_routes(sandbox):
    with running_simulator(client_roots={"1108919038": sandbox}) as (_, base_url):
        assert control_get(base_url, "/control/clients")["1108919038"]["mode"] == "up"
        assert control_post(base_url, "/control/clients/1108919038", {"mode": "down"})["mode"] == "down"
        stem = put_zip(sandbox)
        time.sleep(0.5)
        assert box(sandbox, "OutBox") == [f"{stem}.zip"]  # down: it stays
        control_post(base_url, "/control/clients/1108919038/card-failure", {"fail_code": "C134"})
        control_post(base_url, "/control/clients", {"mode": "up"})  # every client at once
        wait_until(lambda: box(sandbox, "SentBox") == [f"{stem}.zip"], what="the zip sent")
        assert "C134" in inbox_file(sandbox, f"Failed_{stem}_").read_bytes().decode("gb18030")
        fail = requests.post(f"{base_url}/control/clients/1108919038/fail", json={"client_seq_no": "X", "tries": 2})
        assert fail.json() == {"client_seq_no": "X", "tries": 2}
        assert requests.post(f"{base_url}/control/clients/nobody", json={}, timeout=5).status_code == 404
        assert requests.post(f"{base_url}/control/clients/1108919038", json={"mode": "x"}, timeout=5).status_code == 400


def test_a_mode_set_for_a_while_ends_by_itself(base_url):
    # a soak's fault of known length: it ends even while whoever set it waits on customs' slowness
    answered = control_post(base_url, "/control/mode", {"mode": "down", "for_seconds": 0.2})
    assert answered["for_seconds"] == 0.2
    assert declare(base_url, dec_message("C001")).status_code == 503
    time.sleep(0.25)
    assert control_get(base_url, "/control/stats")["mode"] == "normal"
    assert answer(declare(base_url, dec_message("C001")))["ResponseCode"] == "0"


def test_a_mode_set_for_a_negative_while_is_a_bad_request(base_url):
    answer_ = requests.post(f"{base_url}/control/mode", json={"mode": "down", "for_seconds": -1}, timeout=5)
    assert answer_.status_code == 400
