"""infra.template: CloudFormation short tags load as long forms; tables() gives create_table kwargs."""

from __future__ import annotations

import pytest
import yaml

from infra.template import load, loads, resources, substitute, table_name, tables, ttl_settings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("!Ref Stage", {"Ref": "Stage"}),
        ("!Condition IsProd", {"Condition": "IsProd"}),
        ('!Sub "${AWS::StackName}-declarations"', {"Fn::Sub": "${AWS::StackName}-declarations"}),
        ('!Sub ["${A}-x", {A: !Ref B}]', {"Fn::Sub": ["${A}-x", {"A": {"Ref": "B"}}]}),
        ("!GetAtt Table.Arn", {"Fn::GetAtt": ["Table", "Arn"]}),
        ("!GetAtt Table.StreamSpecification.StreamArn", {"Fn::GetAtt": ["Table", "StreamSpecification.StreamArn"]}),
        ("!GetAtt [Table, Arn]", {"Fn::GetAtt": ["Table", "Arn"]}),
        ("!If [IsProd, 365, 30]", {"Fn::If": ["IsProd", 365, 30]}),
        ("!Equals [!Ref Stage, prod]", {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}),
        ("!Not [!Equals [a, b]]", {"Fn::Not": [{"Fn::Equals": ["a", "b"]}]}),
        ("!And [!Condition A, !Condition B]", {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]}),
        ("!Or [!Condition A, !Condition B]", {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]}),
        ("!Select [0, !GetAZs '']", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}),
        ("!Join ['-', [a, b]]", {"Fn::Join": ["-", ["a", "b"]]}),
        ("!Split [',', 'a,b']", {"Fn::Split": [",", "a,b"]}),
        ("!FindInMap [Map, Key, Value]", {"Fn::FindInMap": ["Map", "Key", "Value"]}),
        ("!ImportValue shared-vpc", {"Fn::ImportValue": "shared-vpc"}),
        ("!Base64 hello", {"Fn::Base64": "hello"}),
        ("!Cidr [10.0.0.0/16, 4, 8]", {"Fn::Cidr": ["10.0.0.0/16", 4, 8]}),
        ('!GetAZs {Ref: "AWS::Region"}', {"Fn::GetAZs": {"Ref": "AWS::Region"}}),
    ],
)
def test_short_tag_loads_as_its_long_form(text, expected):
    assert loads(f"value: {text}")["value"] == expected


def test_short_tags_nest_inside_block_mappings_and_sequences():
    template = loads("""
Policies:
  - !If
    - UseHs256
    - Statement:
        - Resource: !Sub "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Name}"
    - !Ref AWS::NoValue
""")
    assert template["Policies"] == [
        {
            "Fn::If": [
                "UseHs256",
                {
                    "Statement": [
                        {
                            "Resource": {
                                "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Name}"
                            }
                        }
                    ]
                },
                {"Ref": "AWS::NoValue"},
            ]
        }
    ]


def test_unknown_tag_is_refused():
    with pytest.raises(yaml.YAMLError, match="unknown CloudFormation tag !Bogus"):
        loads("value: !Bogus x")


def test_loader_leaves_yaml_safe_load_untouched():
    loads("value: !Ref X")
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load("value: !Ref X")


def test_a_template_must_be_a_mapping():
    with pytest.raises(ValueError, match="mapping"):
        loads("- a list")


TINY = """
Transform: AWS::Serverless-2016-10-31
Resources:
  ItemsTable:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain
    Properties:
      TableName: !Sub "${AWS::StackName}-items"
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - { AttributeName: pk, AttributeType: S }
        - { AttributeName: owner, AttributeType: S }
        - { AttributeName: at, AttributeType: N }
      KeySchema:
        - { AttributeName: pk, KeyType: HASH }
      GlobalSecondaryIndexes:
        - IndexName: by_owner
          KeySchema:
            - { AttributeName: owner, KeyType: HASH }
            - { AttributeName: at, KeyType: RANGE }
          Projection: { ProjectionType: ALL }
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }
      SSESpecification: { SSEEnabled: true }
  Topic:
    Type: AWS::SNS::Topic
  CacheTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: fixed-cache
      AttributeDefinitions:
        - { AttributeName: id, AttributeType: S }
      KeySchema:
        - { AttributeName: id, KeyType: HASH }
      TimeToLiveSpecification: { AttributeName: expiration, Enabled: true }
  OldTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub ["${AWS::StackName}-${Kind}", { Kind: old }]
      AttributeDefinitions:
        - { AttributeName: id, AttributeType: S }
      KeySchema:
        - { AttributeName: id, KeyType: HASH }
      TimeToLiveSpecification: { AttributeName: ttl, Enabled: false }
"""


def test_tables_gives_create_table_kwargs_for_every_table_in_template_order():
    assert tables(loads(TINY), "demo") == [
        {
            "TableName": "demo-items",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "owner", "AttributeType": "S"},
                {"AttributeName": "at", "AttributeType": "N"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "by_owner",
                    "KeySchema": [
                        {"AttributeName": "owner", "KeyType": "HASH"},
                        {"AttributeName": "at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        },
        {
            "TableName": "fixed-cache",
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
        {
            "TableName": "demo-old",
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    ]


def test_tables_output_is_a_copy_of_the_template():
    template = loads(TINY)
    tables(template, "demo")[0]["KeySchema"].append({"AttributeName": "x", "KeyType": "RANGE"})
    assert len(template["Resources"]["ItemsTable"]["Properties"]["KeySchema"]) == 1


def test_ttl_settings_lists_only_enabled_ttls_by_table_name():
    assert ttl_settings(loads(TINY), "demo") == {"fixed-cache": "expiration"}


def test_resources_selects_one_type_by_logical_id_in_order():
    template = loads(TINY)
    assert list(resources(template, "AWS::DynamoDB::Table")) == ["ItemsTable", "CacheTable", "OldTable"]
    assert list(resources(template, "AWS::SNS::Topic")) == ["Topic"]
    assert resources(template, "AWS::SQS::Queue") == {}
    assert resources({}, "AWS::SQS::Queue") == {}


def test_substitute_resolves_known_variables_and_the_literal_escape():
    assert substitute({"Fn::Sub": "${AWS::StackName}-t-${!Literal}"}, {"AWS::StackName": "s"}) == "s-t-${Literal}"
    assert substitute("plain", {}) == "plain"


def test_substitute_refuses_what_it_cannot_resolve():
    with pytest.raises(ValueError, match=r"\$\{AWS::Region\}"):
        substitute({"Fn::Sub": "${AWS::StackName}-${AWS::Region}"}, {"AWS::StackName": "s"})
    with pytest.raises(ValueError, match="only a string or Fn::Sub"):
        substitute({"Ref": "TableParam"}, {})


def test_a_table_without_a_name_is_refused():
    with pytest.raises(ValueError, match="TableName"):
        table_name({"Type": "AWS::DynamoDB::Table", "Properties": {}}, "demo")


def test_load_reads_the_repositorys_template_by_default():
    template = load()
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    assert resources(template, "AWS::DynamoDB::Table")
