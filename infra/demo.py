"""`make demo`: a demo enterprise, its configs and 50 declarations with manifests and arrival
reports — most go through, some wait (manifest, arrival, tax), some fail (comparison, customs
refusal) — then start pressed once. Seeded over HTTP only, as a user would."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import requests

from chalicelib.adapters.tokens import issue_token

ROOT = Path(__file__).resolve().parents[1]
DEMO = {"code": "1108919038", "uscc": "91110000600037341L", "name": "中国大恒(集团)有限公司"}
PRINCIPAL = {"code": "1105910159", "uscc": "91110000100011743X", "name": "中国山货花卉进出口公司"}


def _declaration(ie_flag: str, i: int, **overrides) -> dict:
    body = json.loads((ROOT / "examples" / "declarations.json").read_text(encoding="utf-8"))["declarations"][0]
    body = copy.deepcopy(body)
    body.pop("seq_no", None)
    body.update(
        ie_flag=ie_flag,
        self_pay=False,
        bill_no=f"DEMO{ie_flag}{i:04d}",
        pack_no=10,
        gross_wt="1250.5",
        net_wt="1180",
        traf_name="CA986",
        voyage_no="20240320",
        agent=dict(DEMO),
        consignee=dict(DEMO),
        owner=dict(DEMO),
        note="",
    )
    if ie_flag == "E":  # an export's 出口享惠情况 (the second declaration element) is 0-2; the example is an import's 3
        for goods in body["goods"]:
            elements = goods["g_model"].split("|")
            goods["g_model"] = "|".join([elements[0], "0", *elements[2:]])
    body.update(overrides)
    return body


def seed(api: str, customs: str, secret: str, *, exchange: bool = False) -> dict:
    """With `exchange` (make run's agents and simulated clients), one declaration also fails at the
    broker's card (C134), as it does when the card is not in the reader."""
    token = issue_token(secret, ent_code=DEMO["code"], ent_uscc=DEMO["uscc"], role="legal", card_no="8911020000108")
    h = {"Authorization": f"Bearer {token}"}
    requests.post(f"{api}/enablement", json={"accept_notice": True}, headers=h, timeout=10).raise_for_status()
    base = {
        "enabled": True,
        "effective_by": "enterprise",
        "agent": {"code": DEMO["code"]},
        "auxiliary_confirm": True,
        "auto_agency_agreement": True,
        "batch_wait_seconds": 20,
    }
    configs = [
        requests.post(
            f"{api}/configs",
            headers=h,
            timeout=10,
            json={
                **base,
                "name": "演示-进口(有舱单、比对后申报)",
                "ie_flag": "I",
                "require_manifest": True,
                "compare_manifest": True,
            },
        ).json()["config_id"],
        requests.post(
            f"{api}/configs",
            headers=h,
            timeout=10,
            json={**base, "name": "演示-出口(运抵后申报)", "ie_flag": "E", "require_arrival": True},
        ).json()["config_id"],
    ]
    plan = (
        [_declaration("I", i) for i in range(25)]
        + [_declaration("I", 25 + i, consignee=dict(PRINCIPAL), owner=None) for i in range(5)]  # agreement made
        + [_declaration("I", 30 + i, pack_no=12) for i in range(5)]  # manifest says 10: comparison fails
        + [_declaration("I", 35 + i) for i in range(5)]  # no manifest yet: they wait
        + [_declaration("I", 40 + i, self_pay=True) for i in range(3)]  # tax unconfirmed: they wait
        + [_declaration("I", 43 + i, note="SANDBOX:REJECT") for i in range(2)]  # customs refuses
        + [_declaration("E", 45 + i) for i in range(5)]
    )  # export: 3 arrived, 2 not yet
    accepted = requests.post(
        f"{api}/declarations", headers=h, timeout=30, json={"declarations": plan, "smart_mark": True}
    ).json()["accepted"]
    for body in plan:
        bill = body["bill_no"]
        number = int(bill[-4:])
        if body["ie_flag"] == "I" and not 35 <= number < 40:
            requests.put(
                f"{customs}/logistics/manifests/{bill}",
                timeout=5,
                json={"pack_no": 10, "gross_wt": "1250.5", "traf_name": "CA986", "voyage_no": "20240320"},
            )
        if body["ie_flag"] == "E" and number < 48:
            requests.put(f"{customs}/logistics/arrivals/{bill}", timeout=5, json={"arrived": True})
    card_failure = None
    if exchange and len(accepted) == len(plan):
        card_failure = accepted[24]  # an import with its manifest: it would go through, but the card is out
        requests.post(
            f"{customs}/control/clients/{DEMO['code']}/card-failure",
            json={"client_seq_no": card_failure, "fail_code": "C134"},
            timeout=5,
        ).raise_for_status()
    for protocol, endpoint in (("email", "ops@daheng.example.com"), ("sms", "+8613800138000")):
        requests.post(f"{api}/subscriptions", headers=h, timeout=10, json={"protocol": protocol, "endpoint": endpoint})
    execution = requests.post(
        f"{api}/executions", headers=h, timeout=10, json={"enterprise_type": "agent", "config_ids": configs}
    ).json()["execution_id"]
    return {"token": token, "execution_id": execution, "declarations": len(accepted), "card_failure": card_failure}
