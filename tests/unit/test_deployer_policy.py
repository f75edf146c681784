"""deploy/deployer-policy.json, the deploying identity's permissions, covers what template.yaml creates."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase

from localdev.stack_outputs import DEFAULT_STACK_NAME
from tests.support.paths import ROOT

POLICY = ROOT / "deploy" / "deployer-policy.json"
# What CloudFormation (and SAM's expansion of it) calls to create each resource type of the template.
CREATED_WITH = {
    "AWS::Serverless::Function": [
        "lambda:CreateFunction",
        "lambda:CreateFunctionUrlConfig",
        "lambda:AddPermission",
        "lambda:PutFunctionConcurrency",
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:PassRole",
    ],
    "AWS::Serverless::LayerVersion": ["lambda:PublishLayerVersion"],
    "AWS::SecretsManager::Secret": ["secretsmanager:CreateSecret", "secretsmanager:GetRandomPassword"],
    "AWS::Logs::LogGroup": ["logs:CreateLogGroup", "logs:PutRetentionPolicy"],
    "AWS::CloudWatch::Alarm": ["cloudwatch:PutMetricAlarm"],
    "AWS::SNS::Topic": ["sns:CreateTopic", "sns:Subscribe"],
    "AWS::WAFv2::WebACL": ["wafv2:CreateWebACL"],
    "AWS::CloudFront::Function": ["cloudfront:CreateFunction", "cloudfront:PublishFunction"],
    "AWS::CloudFront::Distribution": ["cloudfront:CreateDistribution"],
}
# Beyond the resources: sam deploy's change sets and artifact bucket, the dynamic references the
# template resolves with the deployer's credentials, and make doctor's and make manifest's reads.
ALSO = [
    "cloudformation:CreateChangeSet",
    "cloudformation:ExecuteChangeSet",
    "cloudformation:DescribeStacks",
    "s3:PutObject",
    "secretsmanager:GetSecretValue",
    "lambda:GetLayerVersion",
]


def statements() -> list[dict]:
    policy = json.loads(POLICY.read_text())
    assert policy["Version"] == "2012-10-17"
    return [s for s in policy["Statement"] if s["Effect"] == "Allow"]


def allowed(action: str, resource: str | None = None) -> bool:
    """Whether a statement allows ``action``, on ``resource`` when given (on some resource when not)."""
    for statement in statements():
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        if action in actions and (resource is None or any(fnmatchcase(resource, p) for p in resources)):
            return True
    return False


def test_every_resource_type_of_the_template_can_be_created(template):
    types = {spec["Type"] for spec in template["Resources"].values()}
    # THEN the policy knows every type (a new one must be added here and to the policy)
    assert types <= set(CREATED_WITH), types - set(CREATED_WITH)
    for kind in types:
        for action in CREATED_WITH[kind]:
            assert allowed(action), (kind, action)
    for action in ALSO:
        assert allowed(action), action


def test_the_named_resources_are_within_the_policy_s_stack_prefix(template):
    # GIVEN the default stack name, WHEN the template names a function, layer or log group
    for name, spec in template["Resources"].items():
        properties = spec.get("Properties", {})
        named = (
            properties.get("FunctionName") or properties.get("LayerName") or properties.get("LogGroupName")
        )
        if not named:
            continue
        resolved = named["Fn::Sub"].replace("${AWS::StackName}", DEFAULT_STACK_NAME)
        arn = {
            "AWS::Serverless::Function": f"arn:aws:lambda:eu-west-1:123456789012:function:{resolved}",
            "AWS::Serverless::LayerVersion": f"arn:aws:lambda:eu-west-1:123456789012:layer:{resolved}",
            "AWS::Logs::LogGroup": f"arn:aws:logs:eu-west-1:123456789012:log-group:{resolved}",
        }[spec["Type"]]
        action = {
            "AWS::Serverless::Function": "lambda:CreateFunction",
            "AWS::Logs::LogGroup": "logs:CreateLogGroup",
        }
        # THEN the policy allows creating it there, and not a function of another stack
        assert allowed(action.get(spec["Type"], "lambda:PublishLayerVersion"), arn), name
    assert not allowed("lambda:CreateFunction", "arn:aws:lambda:eu-west-1:123456789012:function:other-app")
    assert not allowed("iam:CreateRole", "arn:aws:iam::123456789012:role/admin")
