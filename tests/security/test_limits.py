"""Issue #9, limits: per-enterprise allowances on the expensive routes (429 + Retry-After, our
shape), stage throttling and a WAF rule per source IP in the template, workbooks refused by size
before a row is read."""

from __future__ import annotations

import io
import re
import time
import zipfile
from datetime import UTC, datetime

import boto3
import pytest

from chalicelib.domain.errors import DomainError
from chalicelib.domain.limits import RateLimit, window
from chalicelib.services.limits import take_allowance
from infra.template import load
from tests.factories import ENT_B, ROOT, make_declaration_body, token
from tests.fakes import FakeWindowCounter

NOON = datetime(2024, 3, 21, 4, 0, 30, tzinfo=UTC)
RULES = {"imports": RateLimit(3, 60)}


# ---- the rule, on a fake counter ---------------------------------------------------------------


def test_an_enterprise_gets_its_allowance_then_429_until_the_window_ends():
    counter = FakeWindowCounter()
    for _ in range(3):
        take_allowance(counter, "1108919038", "imports", RULES, NOON)

    with pytest.raises(DomainError) as refused:
        take_allowance(counter, "1108919038", "imports", RULES, NOON)

    assert refused.value.code == "rate_limited" and refused.value.kind == "too_many_requests"
    assert refused.value.details == {"limit": 3, "window_seconds": 60, "retry_after_seconds": 30}


def test_the_next_window_starts_a_new_allowance_and_counters_expire_after_their_window():
    counter = FakeWindowCounter()
    for _ in range(3):
        take_allowance(counter, "1108919038", "imports", RULES, NOON)

    take_allowance(counter, "1108919038", "imports", RULES, NOON.replace(minute=1, second=0))

    slot = window("1108919038", "imports", RULES["imports"], NOON)
    assert counter.expiry[slot.key] >= slot.ends_at


def test_allowances_are_per_enterprise_and_per_action():
    counter = FakeWindowCounter()
    rules = {"imports": RateLimit(1, 60), "replays": RateLimit(1, 60)}
    take_allowance(counter, "1108919038", "imports", rules, NOON)

    take_allowance(counter, "3101234567", "imports", rules, NOON)  # another enterprise
    take_allowance(counter, "1108919038", "replays", rules, NOON)  # another action


def test_a_limit_of_zero_turns_the_check_off():
    counter = FakeWindowCounter()
    for _ in range(100):
        take_allowance(counter, "1108919038", "imports", {"imports": RateLimit(0, 60)}, NOON)
    assert counter.counts == {}


# ---- the DynamoDB counter --------------------------------------------------------------------


def test_the_dynamodb_counter_counts_up_to_the_limit_with_one_conditional_update(aws):
    from chalicelib.adapters.window_counter import DynamoWindowCounter

    client = boto3.client("dynamodb", region_name="cn-north-1")
    counter = DynamoWindowCounter("smartdecl-rate_limits", client)

    taken = [counter.take("1108919038#imports#1711000800", 2, 1711000920) for _ in range(3)]

    assert taken == [True, True, False]
    item = client.get_item(
        TableName="smartdecl-rate_limits", Key={"window_key": {"S": "1108919038#imports#1711000800"}}
    )["Item"]
    assert item["requests"] == {"N": "2"} and item["expires_at"] == {"N": "1711000920"}


# ---- through the API ---------------------------------------------------------------------------


@pytest.fixture
def tight(container):
    container.settings.rate_limits.update(
        {"imports": RateLimit(2, 60), "executions": RateLimit(1, 60), "replays": RateLimit(1, 60)}
    )
    return container


def test_imports_past_the_allowance_answer_429_with_retry_after_and_change_nothing(enabled_api, tight):
    # Given two imports already made this minute
    for _ in range(2):
        assert enabled_api.post("/declarations", {"declarations": [make_declaration_body()]}).status_code == 200

    # When a third comes, by JSON or by file
    json_import = enabled_api.post("/declarations", {"declarations": [make_declaration_body()]})
    file_import = enabled_api.call("POST", "/declarations/import", raw=b"<DecMessage/>", content_type="application/xml")

    # Then both answer 429 in our shape, with Retry-After, and nothing more is stored
    for response in (json_import, file_import):
        assert response.status_code == 429
        assert set(response.json) == {"code", "message_zh", "message_en", "details"}
        assert response.json["code"] == "rate_limited"
        assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert enabled_api.get("/declarations?range=3months").json["total"] == 2


def test_another_enterprise_keeps_its_own_allowance(enabled_api, tight):
    for _ in range(3):
        enabled_api.post("/declarations", {"declarations": [make_declaration_body()]})

    response = enabled_api.post("/declarations", {"declarations": []}, token=token(ENT_B))

    assert response.status_code != 429


def test_the_allowance_comes_back_when_the_window_ends(enabled_api, tight, clock):
    for _ in range(3):
        enabled_api.post("/declarations", {"declarations": []})

    clock.advance(seconds=60)

    assert enabled_api.post("/declarations", {"declarations": []}).status_code != 429


def test_execution_starts_and_replays_are_limited_too(enabled_api, tight):
    first = enabled_api.post("/executions", {"enterprise_type": "agent", "config_ids": []})
    second = enabled_api.post("/executions", {"enterprise_type": "agent", "config_ids": []})
    replays = [
        enabled_api.post("/subscriptions/nope/replay", {"from": "2024-01-01", "to": "2024-01-02"}) for _ in range(2)
    ]

    assert first.status_code != 429 and second.status_code == 429
    assert replays[0].status_code == 404 and replays[1].status_code == 429


def test_cheap_routes_are_not_limited(enabled_api, tight):
    assert all(enabled_api.get("/declarations").status_code == 200 for _ in range(5))


# ---- workbooks: refused by their declared size -----------------------------------------------


def million_row_workbook(rows: int = 1_000_000, dimension: bool = True) -> bytes:
    """The example workbook with its head sheet grown to `rows` rows (a few MB compressed), declaring
    its size in <dimension> or not."""
    source = zipfile.ZipFile(ROOT / "examples" / "declarations.xlsx")
    sheet = source.read("xl/worksheets/sheet1.xml").decode("utf-8")
    head, _, tail = sheet.partition("</sheetData>")
    extra = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>x</t></is></c></row>' for n in range(6, rows + 1))
    sheet = re.sub(
        r'<dimension ref="[^"]*"\s*/>',
        f'<dimension ref="A1:AM{rows}"/>' if dimension else "",
        head + extra + "</sheetData>" + tail,
        count=1,
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(
                info.filename, sheet if info.filename.endswith("sheet1.xml") else source.read(info.filename)
            )
    return out.getvalue()


@pytest.mark.parametrize("dimension", [True, False], ids=["declared", "undeclared"])
def test_a_million_row_workbook_is_refused_in_under_a_second(dimension):
    from chalicelib.formats.excel_workbook import read_workbook

    data = million_row_workbook(dimension=dimension)
    assert len(data) < 6_000_000  # an upload the body cap lets through

    started = time.perf_counter()
    with pytest.raises(DomainError) as refused:
        read_workbook(data)
    elapsed = time.perf_counter() - started

    assert (refused.value.code, refused.value.details["limit"]) == ("import_limit", "rows_per_sheet")
    # about 0.01 s measured with the <dimension>, 0.1 s counting rows without one; the old path took seconds
    assert elapsed < 1.0, f"refusing took {elapsed:.2f} s"


# ---- the template: stage throttling, WAF per source IP, gateway responses --------------------


@pytest.fixture(scope="module")
def template():
    return load()


def test_the_stage_is_throttled_by_parameters(template):
    [setting] = template["Resources"]["Api"]["Properties"]["MethodSettings"]
    assert setting["ThrottlingRateLimit"] == {"Ref": "ThrottlingRateLimit"}
    assert setting["ThrottlingBurstLimit"] == {"Ref": "ThrottlingBurstLimit"}
    assert (setting["ResourcePath"], setting["HttpMethod"]) == ("/*", "*")
    assert {"ThrottlingRateLimit", "ThrottlingBurstLimit"} <= set(template["Parameters"])


def test_a_waf_rate_rule_per_source_ip_guards_the_stage_and_can_be_turned_off(template):
    resources = template["Resources"]
    acl, association = resources["ApiWebAcl"], resources["ApiWebAclAssociation"]
    assert acl["Condition"] == association["Condition"] == "UseWaf"
    assert template["Conditions"]["UseWaf"] == {"Fn::Equals": [{"Ref": "WafEnabled"}, "true"]}
    [rule] = acl["Properties"]["Rules"]
    assert rule["Statement"]["RateBasedStatement"] == {"Limit": {"Ref": "WafRateLimitPerIp"}, "AggregateKeyType": "IP"}
    assert rule["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    arn = association["Properties"]["ResourceArn"]["Fn::Sub"]
    assert arn.startswith("arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${Api}/stages/")


def test_the_per_enterprise_limits_are_parameters_passed_to_the_api(template):
    variables = template["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"]
    for action, parameter in (
        ("IMPORTS", "LimitImports"),
        ("EXECUTIONS", "LimitExecutions"),
        ("REPLAYS", "LimitReplays"),
    ):
        assert variables[f"SMARTDECL_LIMIT_{action}"] == {"Ref": parameter}
        default = template["Parameters"][parameter]["Default"]
        assert re.fullmatch(template["Parameters"][parameter]["AllowedPattern"], default)


def test_unknown_routes_and_gateway_refusals_answer_in_our_shape_when_deployed(template):
    import json

    responses = template["Resources"]["Api"]["Properties"]["GatewayResponses"]
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    for name in ("MISSING_AUTHENTICATION_TOKEN", "THROTTLED", "WAF_FILTERED", "DEFAULT_4XX", "DEFAULT_5XX"):
        body = json.loads(responses[name]["ResponseTemplates"]["application/json"])
        assert set(body) == {"code", "message_zh", "message_en", "details"}, name
