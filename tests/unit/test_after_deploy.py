"""What make deploy prints after sam deploy: the one set of values to paste, read from the stack (moto)."""

from __future__ import annotations

import json

import boto3
import pytest

from localdev import after_deploy

REGION = "eu-west-1"
HOST = "https://d111111abcdef8.cloudfront.net"
ONE_HOST = {
    "AuthorizationUrl": f"{HOST}/authorize",
    "TokenUrl": f"{HOST}/token",
    "ActionUrl": f"{HOST}/hello",
    "GoogleRedirectUri": f"{HOST}/authorize/callback",
    "PrivacyPolicyUrl": f"{HOST}/authorize/privacy",
    "GptClientId": "my-gpt",
    "GptScope": "openid email profile",
}


@pytest.fixture
def cloudformation(fake_aws):
    return boto3.client("cloudformation", region_name=REGION)


def deploy(client, name: str, outputs: dict[str, str]) -> None:
    body = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    client.create_stack(StackName=name, TemplateBody=json.dumps(body))


def test_one_host_prints_one_host_and_each_value_once(cloudformation, capsys):
    # GIVEN a stack deployed with the default, one host on CloudFront's own name
    deploy(cloudformation, "gpt", ONE_HOST)
    # WHEN make deploy's last step runs
    assert after_deploy.main(["--stack", "gpt", "--region", REGION]) == 0
    printed = capsys.readouterr().out
    # THEN it names the one host, the redirect URI to register, the editor's fields and make doctor
    assert "on one host, https://d111111abcdef8.cloudfront.net." in printed
    for value in (f"{HOST}/authorize/callback", f"{HOST}/authorize", f"{HOST}/token", "my-gpt"):
        assert value in printed
    assert f"Privacy policy (Configure > the action): {HOST}/authorize/privacy" in printed
    assert "make manifest" in printed and "make doctor" in printed
    assert "lambda-url" not in printed


def test_three_hosts_are_named_as_such(cloudformation, capsys):
    deploy(
        cloudformation,
        "three",
        {
            "AuthorizationUrl": "https://a.lambda-url.eu-west-1.on.aws/",
            "TokenUrl": "https://t.lambda-url.eu-west-1.on.aws/",
            "ActionUrl": "https://h.lambda-url.eu-west-1.on.aws/",
        },
    )
    assert after_deploy.main(["--stack", "three", "--region", REGION]) == 0
    assert "on 3 hosts, a.lambda-url" in capsys.readouterr().out


def test_a_missing_stack_is_an_error_not_a_traceback(cloudformation, capsys):
    assert after_deploy.main(["--stack", "nope", "--region", REGION]) == 1
    assert "'nope' does not exist in eu-west-1" in capsys.readouterr().err
