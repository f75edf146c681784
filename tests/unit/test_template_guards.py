"""template.yaml's guards: reserved concurrency, log retention, one way in through CloudFront, WAF, alarms.

The conditions are evaluated here for sample parameter values, so each test checks what a stack
with those values would contain, not just that a name appears in the template.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfnlint.decode import decode

from gpt_auth.runtime import metrics
from gpt_auth.runtime.origin import MIN_SECRET_LENGTH, ORIGIN_HEADER
from tests.support.paths import ROOT

FUNCTIONS = {
    "GoogleAuthorizationFunction": "AuthorizationConcurrency",
    "GoogleAuthenticationFunction": "TokenConcurrency",
    "TestEndpointFunction": "ActionConcurrency",
}
CUSTOM_DOMAIN = {
    "DomainName": "gpt.example.com",
    "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
}
THREE_HOSTS = {"Hosts": "three"}
NO_VALUE = {"Ref": "AWS::NoValue"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    parsed, problems = decode(str(ROOT / "template.yaml"))
    assert not problems, problems
    return json.loads(json.dumps(parsed))


def parameter_values(template: dict[str, Any], **given: Any) -> dict[str, Any]:
    values = {name: spec.get("Default") for name, spec in template["Parameters"].items()}
    values.update(given)
    return values


def condition(template: dict[str, Any], name: str, values: dict[str, Any]) -> bool:
    """Evaluate one of the template's conditions for these parameter values."""

    def value(node: Any) -> Any:
        if isinstance(node, dict) and "Ref" in node:
            return str(values[node["Ref"]])
        return str(node) if isinstance(node, int | str) else node

    def truth(node: Any) -> bool:
        (fn, args), *_ = node.items()
        if fn == "Fn::Equals":
            return bool(value(args[0]) == value(args[1]))
        if fn == "Fn::Not":
            return not truth(args[0])
        if fn == "Fn::And":
            return all(truth(a) for a in args)
        if fn == "Fn::Or":
            return any(truth(a) for a in args)
        if fn == "Condition":
            return condition(template, args, values)
        raise AssertionError(f"unexpected {fn} in a condition")

    return truth(template["Conditions"][name])


def resources(template: dict[str, Any], values: dict[str, Any]) -> set[str]:
    """The resources a stack with these parameter values would have (before SAM's own)."""
    return {
        name
        for name, spec in template["Resources"].items()
        if "Condition" not in spec or condition(template, spec["Condition"], values)
    }


def test_each_function_reserves_its_concurrency_or_none(template):
    for function, parameter in FUNCTIONS.items():
        # GIVEN the function's reserved concurrency and its parameter
        spec = template["Parameters"][parameter]
        reserved = template["Resources"][function]["Properties"]["ReservedConcurrentExecutions"]["Fn::If"]
        assert reserved[1:] == [{"Ref": parameter}, NO_VALUE], function
        # THEN the default reserves it, and -1 reserves none
        assert spec["Type"] == "Number" and spec["Default"] >= 1 and spec["MinValue"] == -1, parameter
        assert condition(template, reserved[0], parameter_values(template)), function
        assert not condition(template, reserved[0], parameter_values(template, **{parameter: -1})), function
    # AND the defaults together keep 4 connections per container under Atlas's 500 (M0, Flex)
    assert sum(template["Parameters"][p]["Default"] for p in FUNCTIONS.values()) * 4 <= 250


def test_each_function_logs_to_a_group_kept_log_retention_days(template):
    assert template["Parameters"]["LogRetentionDays"]["Default"] == 30
    groups = set()
    for function in FUNCTIONS:
        group = template["Resources"][function]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        spec = template["Resources"][group]
        assert spec["Type"] == "AWS::Logs::LogGroup" and "Condition" not in spec, function
        assert spec["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, function
        groups.add(group)
    assert len(groups) == len(FUNCTIONS)


def test_one_host_on_cloudfront_s_own_name_is_the_default(template):
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    default = parameter_values(template)
    # GIVEN no parameters about hosts: the distribution exists, on its own name and certificate
    assert template["Parameters"]["Hosts"]["Default"] == "one"
    assert {"Distribution", "PathRouter", "OriginSecret"} <= resources(template, default)
    assert config["Aliases"]["Fn::If"] == ["CustomDomain", [{"Ref": "DomainName"}], NO_VALUE]
    certificate = config["ViewerCertificate"]["Fn::If"]
    assert certificate[0] == "CustomDomain" and certificate[2] == {"CloudFrontDefaultCertificate": True}
    assert certificate[1]["AcmCertificateArn"] == {"Ref": "CertificateArn"}
    assert not condition(template, "CustomDomain", default)
    # WHEN DomainName and its certificate are given, THEN they are used on top
    assert condition(template, "CustomDomain", parameter_values(template, **CUSTOM_DOMAIN))
    # AND three Function URLs stay one parameter away, refusing a DomainName there
    assert not condition(template, "CustomDomain", parameter_values(template, **THREE_HOSTS, **CUSTOM_DOMAIN))
    rule = template["Rules"]["DomainWithOneHost"]
    assert rule["Assertions"][0]["Assert"] == {"Fn::Equals": [{"Ref": "Hosts"}, "one"]}
    assert rule["RuleCondition"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "DomainName"}, ""]}]}


def test_the_origin_header_is_required_exactly_with_one_host(template):
    env = template["Globals"]["Function"]["Environment"]["Variables"]["ORIGIN_SECRET"]["Fn::If"]
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    # GIVEN one host: every origin gets the header, with the value the functions compare against
    for origin in config["Origins"]:
        (header,) = origin["OriginCustomHeaders"]
        assert header["HeaderName"].lower() == ORIGIN_HEADER, origin["Id"]
        assert header["HeaderValue"] == env[1], origin["Id"]
    assert env[1] == {"Fn::Sub": "{{resolve:secretsmanager:${OriginSecret}}}"}
    # AND that value is generated, long enough and of characters the functions accept
    generated = template["Resources"]["OriginSecret"]["Properties"]["GenerateSecretString"]
    assert generated["PasswordLength"] >= MIN_SECRET_LENGTH and generated["ExcludePunctuation"] is True
    # WHEN Hosts is one (the default, with or without DomainName), THEN the secret and distribution
    # exist and ORIGIN_SECRET is set
    for values in (parameter_values(template), parameter_values(template, **CUSTOM_DOMAIN)):
        assert condition(template, env[0], values)
        assert {"OriginSecret", "Distribution"} <= resources(template, values)
    # WHEN it is three, THEN ORIGIN_SECRET is empty (no check) and neither exists
    three = parameter_values(template, **THREE_HOSTS)
    assert env[2] == ""
    assert not condition(template, env[0], three)
    assert not {"OriginSecret", "Distribution"} & resources(template, three)


def test_the_waf_rule_is_off_by_default_and_on_with_a_rate(template):
    assert template["Parameters"]["WafRateLimit"]["Default"] == 0
    # THEN no web ACL by default, nor with a rate but three hosts
    assert "WebAcl" not in resources(template, parameter_values(template))
    assert "WebAcl" not in resources(template, parameter_values(template, **CUSTOM_DOMAIN))
    assert "WebAcl" not in resources(template, parameter_values(template, WafRateLimit=100, **THREE_HOSTS))
    # AND with one host and a rate, a CLOUDFRONT web ACL limiting by IP, on the distribution
    assert "WebAcl" in resources(template, parameter_values(template, WafRateLimit=100))
    assert "WebAcl" in resources(template, parameter_values(template, WafRateLimit=100, **CUSTOM_DOMAIN))
    acl = template["Resources"]["WebAcl"]["Properties"]
    assert acl["Scope"] == "CLOUDFRONT"
    (rule,) = acl["Rules"]
    assert rule["Statement"]["RateBasedStatement"]["Limit"] == {"Ref": "WafRateLimit"}
    assert rule["Action"] == {"Block": {}}
    acl_id = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["WebACLId"]["Fn::If"]
    assert acl_id[:2] == ["CreateWebAcl", {"Fn::GetAtt": ["WebAcl", "Arn"]}]
    assert acl_id[2]["Fn::If"] == ["UseWebAclArn", {"Ref": "WebAclArn"}, NO_VALUE]
    # AND the rule refuses a rate outside us-east-1, CloudFront's WAF region, or with three hosts
    rule_text = json.dumps(template["Rules"]["WafWithOneHost"])
    assert '{"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}' in rule_text
    assert '{"Fn::Equals": [{"Ref": "Hosts"}, "one"]}' in rule_text


def test_alarms_watch_throttles_5xx_and_refresh_token_reuse(template):
    alarms = {
        n: s["Properties"] for n, s in template["Resources"].items() if s["Type"] == "AWS::CloudWatch::Alarm"
    }
    watched = {
        (a["Namespace"], a["MetricName"], json.dumps(a["Dimensions"], sort_keys=True))
        for a in alarms.values()
    }
    for function in FUNCTIONS:
        dims = json.dumps([{"Name": "FunctionName", "Value": {"Ref": function}}], sort_keys=True)
        assert ("AWS/Lambda", "Throttles", dims) in watched, function
        assert ("AWS/Lambda", "Url5xxCount", dims) in watched, function
    # The reuse metric as the functions publish it: our namespace, Powertools' service dimension
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    reuse = metrics.REFRESH_TOKEN_REUSE
    service = json.dumps([{"Name": "service", "Value": env["POWERTOOLS_SERVICE_NAME"]}], sort_keys=True)
    assert (env["POWERTOOLS_METRICS_NAMESPACE"], reuse, service) in watched
    # AND each notifies the topic when AlarmEmail is set, which by default it is not
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == {"Fn::If": ["HasAlarmEmail", [{"Ref": "AlarmTopic"}], NO_VALUE]}, name
    assert "AlarmTopic" not in resources(template, parameter_values(template))
    assert "AlarmTopic" in resources(template, parameter_values(template, AlarmEmail="ops@example.com"))
