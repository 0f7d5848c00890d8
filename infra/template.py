"""Read template.yaml, the single source of truth for the stack's resources.

The local stack and the test fixtures create their DynamoDB tables from what this module reads,
so that what runs locally is what CloudFormation deploys. Only PyYAML is needed.

    from infra.template import load, tables, ttl_settings
    template = load()                                   # the repository's template.yaml
    for kwargs in tables(template, "smartdecl"):        # boto3 create_table(**kwargs)
        client.create_table(**kwargs)
    for table_name, attribute in ttl_settings(template, "smartdecl").items():
        client.update_time_to_live(TableName=table_name, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": attribute})

CloudFormation short tags (!Ref, !Sub, !GetAtt, ...) load as their long forms ({"Ref": ...},
{"Fn::Sub": ...}, {"Fn::GetAtt": [resource, attribute]}), exactly as CloudFormation reads them.
To support another resource type (queues, topics), add a function over `resources(template, TYPE)`.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "template.yaml"

DYNAMODB_TABLE = "AWS::DynamoDB::Table"

# Short tag -> long form key. Tags missing here are not CloudFormation's and fail to load.
SHORT_TAGS: dict[str, str] = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "And",
            "Base64",
            "Cidr",
            "Equals",
            "FindInMap",
            "GetAZs",
            "GetAtt",
            "If",
            "ImportValue",
            "Join",
            "Not",
            "Or",
            "Select",
            "Split",
            "Sub",
            "Transform",
            "ToJsonString",
            "Length",
        )
    },
}


class CfnLoader(yaml.SafeLoader):
    """A SafeLoader that turns CloudFormation short tags into their long dict forms."""


def _construct_short_tag(loader: CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = tag_suffix
    if name not in SHORT_TAGS:
        raise yaml.constructor.ConstructorError(None, None, f"unknown CloudFormation tag !{name}", node.start_mark)
    key = SHORT_TAGS[name]
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if name == "GetAtt":  # !GetAtt Resource.Attribute[.More] -> [Resource, Attribute[.More]]
            resource, _, attribute = str(value).partition(".")
            value = [resource, attribute]
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)  # YAML has no fourth kind of node
        value = loader.construct_mapping(node, deep=True)
    return {key: value}


CfnLoader.add_multi_constructor("!", _construct_short_tag)


def loads(text: str) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template given as YAML (or JSON) text."""
    data = yaml.load(text, Loader=CfnLoader)  # CfnLoader is a SafeLoader
    if not isinstance(data, dict):
        raise ValueError("a template must be a mapping")
    return data


def load(path: str | Path | None = None) -> dict[str, Any]:
    """Parse template.yaml (the repository's, unless another path is given). Parsed once per file
    version (PyYAML takes most of a second for it, and every test provisions from it); each caller
    gets its own copy."""
    file = Path(path or TEMPLATE_PATH).resolve()
    return copy.deepcopy(_parsed(str(file), file.stat().st_mtime_ns))


@functools.lru_cache(maxsize=4)
def _parsed(file: str, _version: int) -> dict[str, Any]:
    return loads(Path(file).read_text(encoding="utf-8"))


def resources(template: Mapping[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """The template's resources of one type, by logical id, in template order."""
    return {
        logical_id: resource
        for logical_id, resource in (template.get("Resources") or {}).items()
        if isinstance(resource, dict) and resource.get("Type") == resource_type
    }


_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def substitute(value: Any, variables: Mapping[str, str]) -> str:
    """Resolve a plain string, a {"Fn::Sub": str} or {"Fn::Sub": [str, {...}]} to a string.

    Only the given variables (and the Sub's own variable map, when it holds plain strings) are
    known; any other ${Name} raises ValueError rather than leaving a half-resolved name.
    """
    if isinstance(value, str):
        return value
    if not (isinstance(value, Mapping) and list(value) == ["Fn::Sub"]):
        raise ValueError(f"cannot resolve {value!r}: only a string or Fn::Sub is supported")
    body = value["Fn::Sub"]
    known = dict(variables)
    if isinstance(body, list):
        body, extra = body
        for name, extra_value in extra.items():
            if not isinstance(extra_value, str):
                raise ValueError(f"cannot resolve Fn::Sub variable {name}: {extra_value!r}")
            known[name] = extra_value

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):  # ${!Literal} is CloudFormation's escape for a literal ${Literal}
            return "${" + name[1:] + "}"
        if name not in known:
            raise ValueError(f"cannot resolve ${{{name}}} in {body!r}")
        return known[name]

    return _SUB_VARIABLE.sub(replace, body)


def _variables(stack_name: str) -> dict[str, str]:
    return {"AWS::StackName": stack_name}


def table_name(resource: Mapping[str, Any], stack_name: str) -> str:
    """The physical name of one AWS::DynamoDB::Table resource of this stack."""
    name = (resource.get("Properties") or {}).get("TableName")
    if name is None:
        raise ValueError("a table without TableName has a generated name: set TableName in the template")
    return substitute(name, _variables(stack_name))


def tables(template: Mapping[str, Any], stack_name: str) -> list[dict[str, Any]]:
    """boto3 `create_table` keyword arguments for every AWS::DynamoDB::Table, in template order.

    Always on-demand (PAY_PER_REQUEST); SSE, point-in-time recovery and TTL are not
    create_table arguments (see ttl_settings for TTL).
    """
    result = []
    for resource in resources(template, DYNAMODB_TABLE).values():
        props = resource.get("Properties") or {}
        kwargs: dict[str, Any] = {
            "TableName": table_name(resource, stack_name),
            "KeySchema": copy.deepcopy(props["KeySchema"]),
            "AttributeDefinitions": copy.deepcopy(props["AttributeDefinitions"]),
            "BillingMode": "PAY_PER_REQUEST",
        }
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if props.get(key):
                kwargs[key] = [
                    {k: copy.deepcopy(index[k]) for k in ("IndexName", "KeySchema", "Projection")}
                    for index in props[key]
                ]
        if props.get("StreamSpecification"):  # the outbox stream (moto has DynamoDB Streams)
            kwargs["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": props["StreamSpecification"]["StreamViewType"],
            }
        result.append(kwargs)
    return result


def ttl_settings(template: Mapping[str, Any], stack_name: str) -> dict[str, str]:
    """{table name: TTL attribute} for every table whose TimeToLiveSpecification is enabled."""
    result = {}
    for resource in resources(template, DYNAMODB_TABLE).values():
        spec = (resource.get("Properties") or {}).get("TimeToLiveSpecification") or {}
        if spec.get("Enabled") is True and spec.get("AttributeName"):
            result[table_name(resource, stack_name)] = spec["AttributeName"]
    return result
