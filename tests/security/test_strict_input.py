"""Strict input (issue #9, item 6): ASCII digits only where a code or number is expected;
booleans and numbers strictly typed; receipts move only declarations that were declared; auth
errors say what the user can do, never which library failed."""

from __future__ import annotations

import time

import jwt
import pytest

from tests.factories import JWT_SECRET, make_config_body, make_declaration_body, token
from tests.integration.test_api_receipts import dec_result
from tests.integration.test_api_receipts import post as post_receipt
from tests.unit._readers_helpers import GOODS_ROW, HEAD_ROW, dec_message, template_workbook, xml_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def goods(**overrides):
    item = make_declaration_body()["goods"][0]
    item.update(overrides)
    return [item]


def refused_fields(api, body):
    response = api.post("/declarations", {"declarations": [body]})
    assert response.status_code == 200, response.json
    assert response.json["accepted"] == [], f"accepted: {body}"
    return [e["field"] for e in response.json["rejected"][0]["errors"]]


# ---- ASCII digits only -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"seq_no": "I٢٠٢٦0000000000012"}, "seq_no"),  # Arabic-Indic digits
        ({"declare_customs": "٠١٠١"}, "declare_customs"),
        ({"ie_port": "০১০১"}, "ie_port"),  # Bengali digits
        ({"cut_mode": "١٠١"}, "cut_mode"),
        ({"gross_wt": "١٢٥٠"}, "gross_wt"),
        ({"net_wt": "１１８０"}, "net_wt"),  # full-width digits
        ({"goods": goods(code_ts="٨٤٧١٣٠٠٠٠٠")}, "goods[0].code_ts"),
        ({"goods": goods(qty="١٠٠")}, "goods[0].qty"),
        ({"goods": goods(decl_price="٨٢٠")}, "goods[0].decl_price"),
        ({"agent": {"code": "١١٠٨٩١٩٠٣٨"}}, "agent.code"),
    ],
)
def test_non_ascii_digits_are_refused_where_a_code_or_number_is_expected(enabled_api, overrides, field):
    assert field in refused_fields(enabled_api, make_declaration_body(**overrides))


def test_non_ascii_digits_in_an_excel_number_cell_are_refused(enabled_api):
    book = template_workbook([HEAD_ROW | {"pack_no": "١٠"}], [GOODS_ROW | {"code_ts": "٨٤٧١٣٠٠٠٠٠"}])
    response = enabled_api.call("POST", "/declarations/import", raw=book, content_type=XLSX)
    assert response.status_code == 200 and response.json["accepted"] == []


def test_non_ascii_digits_in_a_dec_message_are_refused(enabled_api):
    raw = xml_file(dec_message({"CustomMaster": "٠١٠١", "PackNo": "١٠"}))
    response = enabled_api.call("POST", "/declarations/import", raw=raw, content_type="application/xml")
    assert response.status_code == 200 and response.json["accepted"] == []


def test_a_query_by_a_non_ascii_customs_code_is_refused(enabled_api):
    assert enabled_api.get("/declarations?declare_customs=٠١٠١").status_code == 400


# ---- booleans and numbers strictly typed -------------------------------------------------------


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"two_step": "true"}, "two_step"),
        ({"two_step": 1}, "two_step"),
        ({"self_pay": "false"}, "self_pay"),
        ({"summarized_tax": 0}, "summarized_tax"),
        ({"pack_no": True}, "pack_no"),
        ({"pack_no": "10"}, "pack_no"),
        ({"pack_no": 10.0}, "pack_no"),
        ({"gross_wt": True}, "gross_wt"),
        ({"gross_wt": 1250.5}, "gross_wt"),
        ({"goods": goods(g_no="1")}, "goods[0].g_no"),
        ({"goods": goods(g_no=True)}, "goods[0].g_no"),
        ({"goods": goods(qty=False)}, "goods[0].qty"),
    ],
)
def test_loosely_typed_values_are_refused(enabled_api, overrides, field):
    fields = refused_fields(enabled_api, make_declaration_body(**overrides))
    assert field in fields


def test_a_loosely_typed_value_gets_a_bilingual_reason(enabled_api):
    response = enabled_api.post("/declarations", {"declarations": [make_declaration_body(two_step="true")]})
    [error] = response.json["rejected"][0]["errors"]
    assert "true 或 false" in error["message_zh"] and "true or false" in error["message_en"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"enabled": "true"},
        {"auxiliary_confirm": 1},
        {"require_arrival": "false"},
        {"batch_wait_seconds": "60"},
        {"batch_wait_seconds": True},
    ],
)
def test_configs_refuse_loosely_typed_values(enabled_api, overrides):
    response = enabled_api.post("/configs", make_config_body(**overrides))
    assert response.status_code == 400 and response.json["details"][0]["field"] == next(iter(overrides))


@pytest.mark.parametrize(
    "body", [{"declarations": [{}], "smart_mark": "true"}, {"declarations": [{}], "smart_mark": 1}]
)
def test_the_import_mark_must_be_a_boolean(enabled_api, body):
    assert enabled_api.post("/declarations", body).status_code == 400


# ---- receipts move only declarations that were declared -------------------------------------


def test_a_receipt_for_a_never_declared_declaration_is_kept_unmatched_and_logged(enabled_api, container):
    # Given a temp-saved, marked, pending declaration that was never declared
    [seq_no] = enabled_api.post("/declarations", {"declarations": [make_declaration_body()], "smart_mark": True}).json[
        "accepted"
    ]
    before = enabled_api.get(f"/declarations/{seq_no}").json
    # When customs (validly signed) says it was released
    result = post_receipt(enabled_api, dec_result(seq_no, "P")).json
    # Then nothing moves: the receipt is kept as unmatched, the log says so
    assert (result["applied"], len(result["unmatched"])) == (0, 1)
    assert "never declared" in result["unmatched"][0]["message_en"]
    after = enabled_api.get(f"/declarations/{seq_no}").json
    assert (after["status"], after["smart_status"], after["entry_id"], after["updated_at"]) == (
        "temp_saved",
        "pending",
        None,
        before["updated_at"],
    )
    assert [k["channel"] for k in container.receipts.unmatched()] == ["P"]
    log = enabled_api.get(f"/declarations/{seq_no}/log").json["items"]
    assert [(e["gate"], e["outcome"]) for e in log] == [("receipt", "ignored")]


def test_the_same_receipt_again_is_not_logged_twice(enabled_api):
    [seq_no] = enabled_api.post("/declarations", {"declarations": [make_declaration_body()]}).json["accepted"]
    post_receipt(enabled_api, dec_result(seq_no, "P"))
    post_receipt(enabled_api, dec_result(seq_no, "P"))
    assert len(enabled_api.get(f"/declarations/{seq_no}/log").json["items"]) == 1


# ---- auth errors a user can act on ---------------------------------------------------------


def claims(**overrides):
    now = int(time.time())
    base = {
        "sub": "x",
        "ent_code": "1108919038",
        "ent_uscc": "91110000600037341L",
        "role": "legal",
        "card_no": "1",
        "iat": now,
        "exp": now + 600,
    }
    return {**base, **overrides}


@pytest.mark.parametrize(
    "bearer,zh,en",
    [
        (
            lambda: token(ttl_seconds=5, now=int(time.time()) - 60),
            "登录已过期，请重新登录",
            "Your sign-in has expired, sign in again",
        ),
        (lambda: "not.a.jwt", "令牌无效", "The token is not valid"),
        (
            lambda: jwt.encode(claims(), "another-secret-of-at-least-32-bytes!!", algorithm="HS256"),
            "令牌无效",
            "The token is not valid",
        ),
        (lambda: jwt.encode(claims(), None, algorithm="none"), "令牌无效", "The token is not valid"),
        (
            lambda: jwt.encode(claims(ent_uscc=None), JWT_SECRET, algorithm="HS256"),
            "令牌无效",
            "The token is not valid",
        ),
        (
            lambda: jwt.encode(claims(ent_uscc="91110000600037341X"), JWT_SECRET, algorithm="HS256"),
            "令牌无效",
            "The token is not valid",
        ),
    ],
)
def test_auth_errors_say_what_to_do_and_never_name_the_library(enabled_api, bearer, zh, en):
    response = enabled_api.get("/declarations", token=bearer())
    assert response.status_code == 401
    assert (response.json["message_zh"], response.json["message_en"]) == (zh, en)
    text = response.body.decode() if isinstance(response.body, bytes) else str(response.body)
    assert not any(
        name in text
        for name in ("DecodeError", "ExpiredSignature", "InvalidSignature", "PyJWT", "InvalidAlgorithm", "jwt")
    )


def test_cognito_claim_names_are_accepted(enabled_api):
    cognito = claims()
    for name in ("ent_code", "ent_uscc", "role", "card_no"):
        cognito[f"custom:{name}"] = cognito.pop(name)
    response = enabled_api.get("/declarations", token=jwt.encode(cognito, JWT_SECRET, algorithm="HS256"))
    assert response.status_code == 200
