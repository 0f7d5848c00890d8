"""Issue #9: no input gets a 500. Each request that did is now a 4xx in our error shape and changes
nothing; what still escapes is a 500 in our shape with a correlation id, never Chalice's own."""

from __future__ import annotations

import json

import pytest

from tests.factories import make_declaration_body
from tests.integration.test_api_receipts import dec_result, signed

SHAPE = {"code", "message_zh", "message_en", "details"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.body
    body = json.loads(response.body.decode("utf-8"))  # always valid UTF-8 JSON
    assert set(body) == SHAPE
    if code:
        assert body["code"] == code
    return body


def post_receipt(api, body: bytes):
    return api.call(
        "POST", "/customs/receipts", raw=body, content_type="application/xml", token="", headers=signed(body)
    )


# ---- receipts: dates whose zone names no real moment ------------------------------------------


@pytest.mark.parametrize(
    "at",
    [
        "2024-03-21T11:07:21+99:99",
        "2024-03-21T11:07:21+24:00",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
    ],
)
def test_a_signed_receipt_with_an_impossible_date_is_refused_and_nothing_is_kept(enabled_api, container, at):
    # Given a correctly signed DEC_RESULT whose NOTICE_DATE and D_DATE name no real moment
    body = dec_result("I20240000000000001", "P", at=at)

    # When customs' route receives it
    response = post_receipt(enabled_api, body)

    # Then it is refused as unreadable, and no receipt was stored
    assert_error(response, 400, "receipt_unreadable")
    assert container.receipts.unmatched() == []


def test_a_signed_receipt_with_a_4_mb_note_is_refused_before_anything_is_stored(enabled_api, container):
    # Given a declaration and a signed receipt for it whose NOTE is 4 MB (a DynamoDB item holds 400 KB)
    [seq_no] = enabled_api.post("/declarations", {"declarations": [make_declaration_body()]}).json["accepted"]
    before = container.declarations.get(seq_no)
    log_before = container.engine.log.list(seq_no)
    body = dec_result(seq_no, "P").replace(
        b"<NOTE>\xe5\x9b\x9e\xe6\x89\xa7</NOTE>", b"<NOTE>" + b"N" * 4_000_000 + b"</NOTE>"
    )
    assert len(body) > 4_000_000

    # When it is posted
    response = post_receipt(enabled_api, body)

    # Then refused while it is parsed (an element of more than 10,000 characters: 413, the work
    # limits of every XML read), and the declaration, its log and the receipts are untouched
    assert_error(response, 413, "import_limit")
    assert container.declarations.get(seq_no).version == before.version
    assert container.engine.log.list(seq_no) == log_before  # a receipt applied is named on its log line
    assert container.receipts.unmatched() == []


# ---- queries: dates out of range --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/declarations", "/tax-confirmations"])
@pytest.mark.parametrize(
    "query",
    ["from=0001-01-01T00:00:00", "to=9999-12-31T23:59:59-14:00", "from=1999-12-31T23:59:59&to=2024-01-01T00:00:00"],
)
def test_query_dates_outside_the_supported_range_answer_400(enabled_api, path, query):
    assert_error(enabled_api.get(f"{path}?{query}"), 400, "invalid_request")


def test_query_dates_inside_the_range_still_work(enabled_api):
    response = enabled_api.get("/declarations?from=2000-01-01T00:00:00&to=2999-12-31T23:59:59-14:00")
    assert response.status_code == 200, response.json


# ---- JSON bodies: depth and lone surrogates ---------------------------------------------------


@pytest.mark.parametrize("depth", [33, 1_000, 100_000])
def test_json_nested_deeper_than_32_levels_is_refused(enabled_api, depth):
    # Given a body nested `depth` levels deep (a list inside a list …)
    raw = ("[" * depth + "]" * depth).encode()

    # When it is posted to a JSON route
    response = enabled_api.call("POST", "/declarations", raw=raw)

    # Then 400, naming the limit
    body = assert_error(response, 400, "invalid_request")
    assert "32" in body["details"][0]["message_en"]


def test_json_nested_32_levels_reaches_the_route_as_usual(enabled_api):
    nested: object = {"declarations": []}
    for _ in range(30):
        nested = [nested]
    response = enabled_api.call("POST", "/declarations", raw=json.dumps(nested).encode())
    assert_error(response, 400, "invalid_request")  # the route's own refusal, not the depth guard's
    assert "32" not in json.dumps(response.json)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"declarations": [], "smart_mark": "\\ud800"}',
        b'{"declarations": [{"note": "ok\\udfff"}]}',
        b'{"\\ud83d": 1}',
        b'{"name": "\\ud800", "ie_flag": "I"}',
    ],
)
def test_a_lone_surrogate_anywhere_in_a_body_is_refused_and_never_echoed(enabled_api, raw):
    for path in ("/declarations", "/configs"):
        response = enabled_api.call("POST", path, raw=raw)
        body = assert_error(response, 400, "invalid_request")
        assert "surrogate" in body["details"][0]["message_en"]
        response.body.decode("utf-8")  # the answer itself is valid UTF-8


def test_a_proper_surrogate_pair_is_an_ordinary_character(enabled_api):
    response = enabled_api.call(
        "POST", "/declarations", raw=b'{"declarations": [], "smart_mark": false, "x": "\\ud83d\\ude00"}'
    )
    assert response.status_code != 500
    assert "surrogate" not in response.body.decode("utf-8")


# ---- unknown routes and the last-resort guard ------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "/declarations/I2024/nothing/here", "/%E4%B8%AD", "/configs/x/y/z"])
@pytest.mark.parametrize("auth", [None, "Bearer abc", "Bearer 中文"])
def test_an_unknown_route_answers_404_in_our_shape(api, path, auth):
    headers = {"Authorization": auth} if auth else {}
    response = api.client.http.get(path, headers=headers)
    body = assert_error(response, 404, "not_found")
    assert "Missing Authentication Token" not in response.body.decode("utf-8")
    assert body["details"]["path"].startswith("/")


def test_an_unexpected_exception_is_a_500_in_our_shape_with_a_correlation_id_in_the_log(api, monkeypatch, caplog):
    # Given a route whose work fails in a way nobody foresaw
    from chalicelib.api import openapi

    def broken():
        raise KeyError("something nobody foresaw")

    monkeypatch.setattr(openapi, "document", broken)

    # When it is called
    response = api.get("/openapi.json", token="")

    # Then our 500 body, with a correlation id that the logged traceback carries too
    body = assert_error(response, 500, "internal_error")
    correlation_id = body["details"]["correlation_id"]
    assert correlation_id and correlation_id in body["message_en"]
    assert "nobody foresaw" not in response.body.decode("utf-8")
    [logged] = [r for r in caplog.records if getattr(r, "correlation_id", None) == correlation_id]
    assert logged.exc_info and logged.exc_info[0] is KeyError
    assert not hasattr(logged, "ent_code")  # no key left over from an earlier request


def test_an_id_longer_than_any_key_is_not_found_and_not_echoed_whole(enabled_api):
    # DynamoDB refuses keys over 2,048 bytes (a 500 if it got there); no id is that long
    response = enabled_api.get("/declarations/" + "I" * 5000)

    body = assert_error(response, 404, "not_found")
    assert len(response.body) < 1000 and body["details"]["key"].endswith("…")
