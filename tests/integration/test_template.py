"""template.yaml: same tables as the PynamoDB models, lints clean, transforms with SAM, any partition.

Offline: cfn-lint, the SAM translator and botocore's parameter validation run in-process.
"""

from __future__ import annotations

import copy
import functools
import importlib
import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.validate import validate_parameters
from cfnlint.api import lint, lint_file
from cfnlint.config import ManualArgs
from samtranslator.parser.parser import Parser
from samtranslator.translator.arn_generator import ArnGenerator
from samtranslator.translator.translator import Translator

from chalicelib.adapters.dynamo_models import IDEMPOTENCY_KEY, MODELS
from chalicelib.config import Tables, field_names
from infra.template import TEMPLATE_PATH, load, resources, tables, ttl_settings

ROOT = TEMPLATE_PATH.parent
STACK = "smartdecl"  # with this stack name the template's table names are Settings' defaults
REGIONS = ["cn-north-1", "cn-northwest-1", "us-east-1"]
DATA_TABLES = set(MODELS)  # declarations, configs, enterprises, counters
SHORT_LIVED_TABLES = {
    "idempotency": "expiration",
    "rate_limits": "expires_at",
    "push": "expires_at",
    "events": "expires_at",
}  # TTL, no model, not retained
ALL_TABLES = DATA_TABLES | set(SHORT_LIVED_TABLES)
# data tables whose items expire once done (answered sends, parked InBox files): retained, with a TTL
EXPIRING_DATA_TABLES = {
    "exchange_outbox": "expires_at",
    "agents": "expires_at",
    "parts": "expires_at",
}  # parts: the price history


# ---- helpers -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load()


def _template_tables(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{suffix: create_table kwargs}, the suffix being what follows "<stack name>-"."""
    return {kwargs["TableName"].removeprefix(f"{STACK}-"): kwargs for kwargs in tables(template, STACK)}


def _table_resources(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{suffix: resource} of every AWS::DynamoDB::Table."""
    return {
        kwargs["TableName"].removeprefix(f"{STACK}-"): resource
        for kwargs, resource in zip(
            tables(template, STACK), resources(template, "AWS::DynamoDB::Table").values(), strict=True
        )
    }


def _keys(key_schema: list[dict[str, str]]) -> dict[str, str]:
    return {key["KeyType"]: key["AttributeName"] for key in key_schema}


def _attributes(definitions: list[dict[str, str]]) -> dict[str, str]:
    return {a["AttributeName"]: a["AttributeType"] for a in definitions}


def _get(mapping: dict[str, Any], snake: str, camel: str) -> Any:
    """PynamoDB's _get_schema() spells keys in snake_case (6.x) or CamelCase (older)."""
    return mapping.get(snake, mapping.get(camel))


def _model_shape(model: Any) -> dict[str, Any]:
    schema = model._get_schema()

    def indexes(snake: str, camel: str) -> dict[str, Any]:
        return {
            _get(index, "index_name", "IndexName"): (
                _keys(_get(index, "key_schema", "KeySchema")),
                _get(index, "projection", "Projection"),
            )
            for index in _get(schema, snake, camel) or []
        }

    return {
        "keys": _keys(_get(schema, "key_schema", "KeySchema")),
        "attributes": _attributes(_get(schema, "attribute_definitions", "AttributeDefinitions")),
        "gsis": indexes("global_secondary_indexes", "GlobalSecondaryIndexes"),
        "lsis": indexes("local_secondary_indexes", "LocalSecondaryIndexes"),
    }


def _template_shape(kwargs: dict[str, Any]) -> dict[str, Any]:
    def indexes(key: str) -> dict[str, Any]:
        return {index["IndexName"]: (_keys(index["KeySchema"]), index["Projection"]) for index in kwargs.get(key, [])}

    return {
        "keys": _keys(kwargs["KeySchema"]),
        "attributes": _attributes(kwargs["AttributeDefinitions"]),
        "gsis": indexes("GlobalSecondaryIndexes"),
        "lsis": indexes("LocalSecondaryIndexes"),
    }


def _packaged(template: dict[str, Any]) -> dict[str, Any]:
    """The template as `sam package` hands it to CloudFormation: local code paths become S3 URIs."""
    packaged = copy.deepcopy(template)
    for logical_id, prop in (("AWS::Serverless::Function", "CodeUri"), ("AWS::Serverless::LayerVersion", "ContentUri")):
        for name, resource in resources(packaged, logical_id).items():
            resource["Properties"][prop] = f"s3://smartdecl-artifacts/{name}.zip"
    return packaged


@pytest.fixture
def translate():
    """Run the SAM transform offline, as CloudFormation would in `region`.

    The region is given through a boto3 Session (no call is made); no managed policy is referred
    to by name, so the IAM managed-policy map, which would need IAM, is a static empty map.
    """
    saved_region = ArnGenerator.BOTO_SESSION_REGION_NAME
    yield lambda region: json.loads(_translated(region))
    ArnGenerator.BOTO_SESSION_REGION_NAME = saved_region


@functools.cache
def _translated(region: str) -> str:
    """The transformed template, as JSON: made once per region and process (seconds each), read by
    four tests, each of which gets its own copy."""
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    return json.dumps(translator.translate(_packaged(load()), parameter_values={}, get_managed_policy_map=lambda: {}))


def _lint_errors(matches: list[Any]) -> list[str]:
    for match in matches:
        print(match)  # warnings are shown by pytest on failure (or with -s), errors fail
    return [str(match) for match in matches if match.rule.id.startswith("E")]


def _requirements(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return sorted(re.sub(r"\s+", "", line).lower() for line in lines if line)


# ---- (a) tables equal the PynamoDB models --------------------------------------------------


@pytest.mark.parametrize("name", sorted(MODELS))
def test_template_table_has_the_models_keys_indexes_and_key_attributes(template, name):
    template_tables = _template_tables(template)
    assert name in template_tables, f"template.yaml has no table named ${{AWS::StackName}}-{name}"
    assert _template_shape(template_tables[name]) == _model_shape(MODELS[name])


def test_template_declares_no_table_without_a_model_except_the_short_lived_ones(template):
    assert set(_template_tables(template)) == ALL_TABLES


def test_table_name_suffixes_equal_the_settings_default_suffixes(template):
    defaults = Tables()
    assert set(field_names(Tables)) == ALL_TABLES
    for suffix, kwargs in _template_tables(template).items():
        assert kwargs["TableName"] == getattr(defaults, suffix)


def test_idempotency_table_has_powertools_key_and_expiration_ttl(template):
    idempotency = _template_tables(template)["idempotency"]
    assert _keys(idempotency["KeySchema"]) == {"HASH": IDEMPOTENCY_KEY}
    assert _attributes(idempotency["AttributeDefinitions"]) == {IDEMPOTENCY_KEY: "S"}
    assert ttl_settings(template, STACK) == {
        f"{STACK}-{name}": ttl for name, ttl in {**SHORT_LIVED_TABLES, **EXPIRING_DATA_TABLES}.items()
    }


@pytest.mark.parametrize("name", sorted(DATA_TABLES))
def test_data_tables_are_retained_recoverable_and_encrypted(template, name):
    resource = _table_resources(template)[name]
    props = resource["Properties"]
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}


def test_every_table_is_on_demand_and_encrypted(template):
    for name, resource in _table_resources(template).items():
        assert resource["Properties"]["BillingMode"] == "PAY_PER_REQUEST", name
        assert resource["Properties"]["SSESpecification"] == {"SSEEnabled": True}, name


def test_create_table_arguments_are_valid_for_boto3_and_dynamodb(template):
    # botocore's own parameter validation, offline (the API tests create them on moto as well)
    client = boto3.client(
        "dynamodb", region_name="cn-north-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )  # never sent anywhere
    service = client.meta.service_model
    for kwargs in tables(template, STACK):
        validate_parameters(kwargs, service.operation_model("CreateTable").input_shape)
        # DynamoDB refuses attribute definitions that are no key of the table or of an index
        key_attributes = {k["AttributeName"] for k in kwargs["KeySchema"]} | {
            k["AttributeName"] for index in kwargs.get("GlobalSecondaryIndexes", []) for k in index["KeySchema"]
        }
        assert set(_attributes(kwargs["AttributeDefinitions"])) == key_attributes, kwargs["TableName"]
    for table_name, attribute in ttl_settings(template, STACK).items():
        validate_parameters(
            {"TableName": table_name, "TimeToLiveSpecification": {"Enabled": True, "AttributeName": attribute}},
            service.operation_model("UpdateTimeToLive").input_shape,
        )


# ---- the function sees every table, and may use it -----------------------------------------


def test_api_function_gets_every_table_name_from_its_table(template):
    variables = template["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"]
    by_suffix = {
        suffix: logical_id
        for suffix, logical_id in zip(
            _template_tables(template), resources(template, "AWS::DynamoDB::Table"), strict=True
        )
    }
    for name in field_names(Tables):  # the names Settings.from_env reads
        assert variables[f"SMARTDECL_{name.upper()}_TABLE"] == {"Ref": by_suffix[name]}


def test_api_function_has_a_crud_policy_for_every_table_and_no_other_table_access(template):
    policies = template["Resources"]["ApiFunction"]["Properties"]["Policies"]
    crud = [p["DynamoDBCrudPolicy"]["TableName"] for p in policies if "DynamoDBCrudPolicy" in p]
    assert sorted(ref["Ref"] for ref in crud) == sorted(resources(template, "AWS::DynamoDB::Table"))


def test_api_function_environment_names_the_auth_settings(template):
    variables = template["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["SMARTDECL_AUTH_MODE"] == {"Ref": "AuthMode"}
    # an external provider's settings, or else the stack's own user pool (condition UseCognito)
    for name, parameter in (
        ("SMARTDECL_JWKS_URL", "JwksUrl"),
        ("SMARTDECL_JWT_ISSUER", "JwtIssuer"),
        ("SMARTDECL_JWT_AUDIENCE", "JwtAudience"),
        ("SMARTDECL_OIDC_DOMAIN", "OidcDomain"),
        ("SMARTDECL_OIDC_CLIENT_ID", "OidcClientId"),
    ):
        condition, _, otherwise = variables[name]["Fn::If"]
        assert (condition, otherwise) == ("UseCognito", {"Ref": parameter}), name
    assert variables["POWERTOOLS_SERVICE_NAME"] == "smartdecl"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "SmartDeclaration"


def test_jwt_secret_is_passed_by_ssm_parameter_name_never_by_value(template):
    parameters = template["Parameters"]
    secrets = [name for name in parameters if "secret" in name.lower()]
    assert secrets == ["JwtSecretParameter", "ReceiptSecretParameter"]
    for name in secrets:  # only names of SSM parameters, never a secret's value
        assert parameters[name]["AllowedPattern"].startswith("^(/")
    variables = template["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert "SMARTDECL_JWT_SECRET" not in variables
    assert variables["SMARTDECL_JWT_SECRET_PARAMETER"] == {
        "Fn::If": ["UseHs256", {"Ref": "JwtSecretParameter"}, {"Ref": "AWS::NoValue"}]
    }


# ---- (b) cfn-lint ---------------------------------------------------------------------------


def test_cfn_lint_reports_no_errors_on_template_yaml():
    matches = lint_file(TEMPLATE_PATH, config=ManualArgs(regions=REGIONS, include_checks=["I"]))
    assert _lint_errors(matches) == []


# ---- (c) SAM transform ----------------------------------------------------------------------


@pytest.mark.parametrize("region", ["us-east-1", "cn-north-1"])
def test_sam_translator_transforms_the_template_and_the_result_lints_clean(translate, region):
    transformed = translate(region)
    assert "Transform" not in transformed
    assert not [r["Type"] for r in transformed["Resources"].values() if r["Type"].startswith("AWS::Serverless::")]
    types = {r["Type"] for r in transformed["Resources"].values()}
    assert {
        "AWS::Lambda::Function",
        "AWS::Lambda::LayerVersion",
        "AWS::ApiGateway::RestApi",
        "AWS::ApiGateway::Stage",
        "AWS::IAM::Role",
        "AWS::CloudWatch::Alarm",
        "AWS::SNS::Topic",
    } <= types
    assert _lint_errors(lint(json.dumps(transformed), regions=[region])) == []


def _api_events(template: dict[str, Any]) -> set[tuple[str, str]]:
    events = template["Resources"]["ApiFunction"]["Properties"]["Events"].values()
    return {(e["Properties"]["Path"], e["Properties"]["Method"].upper()) for e in events if e["Type"] == "Api"}


def _handler(template: dict[str, Any]) -> Any:
    module, _, attribute = template["Resources"]["ApiFunction"]["Properties"]["Handler"].rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def test_api_declares_exactly_the_chalice_apps_routes(template):
    # Chalice dispatches on requestContext.resourcePath: a route missing here is unreachable,
    # and a catch-all {proxy+} resource would reach no view at all.
    app = _handler(template)
    routes = {(path, method) for path, methods in app.routes.items() for method in methods}
    assert _api_events(template) == routes


def test_handler_named_in_the_template_answers_an_api_gateway_proxy_event(template):
    path, method = "/health", "GET"
    assert (path, method) in _api_events(template)
    event = {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Accept": "application/json"},
        "multiValueHeaders": {"Accept": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {"resourcePath": path, "httpMethod": method, "path": f"/dev{path}", "stage": "dev"},
        "body": None,
        "isBase64Encoded": False,
    }
    assert _handler(template)(event, None)["statusCode"] == 200


def test_api_treats_every_binary_type_of_the_app_as_binary(template, translate):
    app = _handler(template)
    rest_api = next(r for r in translate("us-east-1")["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi")
    body = rest_api["Properties"]["Body"]
    assert set(body["x-amazon-apigateway-binary-media-types"]) == set(app.api.binary_types)
    assert {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream"} <= set(
        app.api.binary_types
    )
    for path in body["paths"].values():
        for operation in path.values():
            assert operation["x-amazon-apigateway-integration"]["type"] == "aws_proxy"
    assert rest_api["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}  # no EDGE in China


# ---- (d), (e) no hard-coded partition --------------------------------------------------------


def test_template_text_has_no_hard_coded_aws_partition():
    assert "arn:aws:" not in TEMPLATE_PATH.read_text(encoding="utf-8")


def test_template_transformed_in_china_has_no_hard_coded_aws_partition(translate):
    text = json.dumps(translate("cn-north-1"))
    assert "arn:aws:" not in text
    assert "arn:aws-cn:iam::aws:policy/" in text  # SAM's managed policies follow the region's partition


def test_api_url_output_uses_the_partitions_url_suffix(template):
    url = template["Outputs"]["ApiUrl"]["Value"]["Fn::Sub"]
    assert url == "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}/"


# ---- (f) the layer's requirements are the runtime requirements ------------------------------


def test_layer_requirements_equal_root_runtime_requirements(template):
    layer = next(iter(resources(template, "AWS::Serverless::LayerVersion").values()))
    layer_requirements = ROOT / layer["Properties"]["ContentUri"] / "requirements.txt"
    assert _requirements(layer_requirements) == _requirements(ROOT / "requirements.txt"), (
        "layers/dependencies/requirements.txt must carry exactly the pins of requirements.txt"
    )


def test_code_paths_of_the_template_exist(template):
    for resource in resources(template, "AWS::Serverless::Function").values():
        assert (ROOT / resource["Properties"]["CodeUri"]).is_dir()
    for resource in resources(template, "AWS::Serverless::LayerVersion").values():
        assert (ROOT / resource["Properties"]["ContentUri"]).is_dir()


def test_every_dead_letter_queue_is_alarmed_and_every_queue_has_one(template):
    queues = resources(template, "AWS::SQS::Queue")
    dead = {q for q in queues if q.endswith("DeadLetterQueue")}
    live = set(queues) - dead
    for name in live:
        redrive = queues[name]["Properties"]["RedrivePolicy"]
        assert redrive["deadLetterTargetArn"]["Fn::GetAtt"][0] in dead and redrive["maxReceiveCount"] >= 3
    alarmed = {
        m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for m in template["Resources"]["DeadLetterAlarm"]["Properties"]["Metrics"]
        if "MetricStat" in m
    }
    assert alarmed == dead


def test_queue_visibility_is_at_least_six_times_its_consumers_timeout_plus_its_batching_window(template):
    queues = resources(template, "AWS::SQS::Queue")
    default = template["Globals"]["Function"]["Timeout"]
    for resource in resources(template, "AWS::Serverless::Function").values():
        for event in (resource["Properties"].get("Events") or {}).values():
            if event["Type"] == "SQS":
                queue = queues[event["Properties"]["Queue"]["Fn::GetAtt"][0]]
                timeout = resource["Properties"].get("Timeout", default)
                window = event["Properties"].get("MaximumBatchingWindowInSeconds", 0)
                assert queue["Properties"]["VisibilityTimeout"] >= 6 * timeout + window
                # SQS gives at most 10 messages a receive: a larger batch needs a batching window
                assert event["Properties"]["BatchSize"] <= 10 or window >= 1
                assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_sending_lease_outlasts_a_submission_and_ends_before_its_message_returns(template):
    # A live holder keeps the lease for its whole invocation; a dead holder's message, back after the
    # visibility timeout, finds the lease ended and sends (after asking customs).
    from chalicelib.services.submit_declaration import SENDING_LEASE

    function = resources(template, "AWS::Serverless::Function")["SubmissionFunction"]["Properties"]
    queue = resources(template, "AWS::SQS::Queue")[function["Events"]["Passed"]["Properties"]["Queue"]["Fn::GetAtt"][0]]
    assert function["Timeout"] <= SENDING_LEASE.total_seconds() <= queue["Properties"]["VisibilityTimeout"]


def test_receipt_conflicts_are_alarmed_on_the_metric_the_api_counts(template):
    from chalicelib.services.receipts import RECEIPT_CONFLICTS

    alarm = template["Resources"]["ReceiptConflictAlarm"]["Properties"]
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert (alarm["Namespace"], alarm["MetricName"]) == (env["POWERTOOLS_METRICS_NAMESPACE"], RECEIPT_CONFLICTS)
    assert alarm["Dimensions"] == [{"Name": "service", "Value": env["POWERTOOLS_SERVICE_NAME"]}]
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
