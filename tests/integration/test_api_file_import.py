"""POST /declarations/import: the shipped Excel and XML examples, broken files, idempotent retries."""

from __future__ import annotations

import pytest

from tests.factories import ROOT

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXAMPLES = ROOT / "examples"


def upload(api, name, media, smart_mark="false", **kw):
    return api.call(
        "POST",
        f"/declarations/import?smart_mark={smart_mark}",
        raw=(EXAMPLES / name).read_bytes(),
        content_type=media,
        **kw,
    )


@pytest.mark.parametrize(
    "name,media",
    [
        ("declarations.xlsx", XLSX),
        ("single_window_template.xlsx", XLSX),  # the Single Window's own template, told by its sheets
        ("dec_message.xml", "application/xml"),
        ("import_message_two.xml", "text/xml"),
        ("dec_message_gb2312.xml", "application/xml"),
    ],
)
def test_every_shipped_example_file_imports_without_rejections(enabled_api, name, media):
    response = upload(enabled_api, name, media)
    assert response.status_code == 200, response.json
    assert response.json["rejected"] == [] and response.json["accepted"]


def test_file_import_marks_when_asked(enabled_api):
    accepted = upload(enabled_api, "declarations.xlsx", XLSX, smart_mark="true").json["accepted"]
    assert enabled_api.get("/declarations?smart_mark=true").json["total"] == len(accepted)


def test_a_retried_upload_with_the_same_key_creates_nothing_new(enabled_api):
    first = upload(enabled_api, "import_message_two.xml", "application/xml", headers={"Idempotency-Key": "f1"})
    again = upload(enabled_api, "import_message_two.xml", "application/xml", headers={"Idempotency-Key": "f1"})
    assert first.json == again.json
    assert enabled_api.get("/declarations").json["total"] == len(first.json["accepted"])


def test_the_same_key_with_another_file_gets_422(enabled_api):
    upload(enabled_api, "dec_message.xml", "application/xml", headers={"Idempotency-Key": "f2"})
    response = upload(enabled_api, "import_message_two.xml", "application/xml", headers={"Idempotency-Key": "f2"})
    assert response.status_code == 422


@pytest.mark.parametrize(
    "raw,media", [(b"not a zip", XLSX), (b"<DecMessage><unclosed>", "application/xml"), (b"", "application/xml")]
)
def test_broken_files_get_400_with_a_readable_reason(enabled_api, raw, media):
    response = enabled_api.call("POST", "/declarations/import", raw=raw, content_type=media)
    assert response.status_code == 400 and response.json["message_zh"] and response.json["message_en"]


def test_an_xml_bomb_is_refused(enabled_api):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><DecMessage><DecHead><BillNo>&c;</BillNo></DecHead></DecMessage>'
    )
    response = enabled_api.call("POST", "/declarations/import", raw=bomb, content_type="application/xml")
    assert response.status_code == 400


def test_an_unsupported_upload_type_gets_415(enabled_api):
    response = enabled_api.call("POST", "/declarations/import", raw=b"a,b", content_type="text/csv")
    assert response.status_code == 415 and response.json["code"] == "unsupported_media_type"


def test_an_oversized_upload_gets_413(enabled_api):
    response = enabled_api.call(
        "POST", "/declarations/import", raw=b"<a>" + b" " * 5_300_000 + b"</a>", content_type="application/xml"
    )
    assert response.status_code == 413


def test_smart_mark_must_be_true_or_false(enabled_api):
    response = upload(enabled_api, "dec_message.xml", "application/xml", smart_mark="yes")
    assert response.status_code == 400
