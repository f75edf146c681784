"""make doctor's secret and stack checks on moto's Secrets Manager and CloudFormation."""

from __future__ import annotations

import json

import boto3
import pytest

from gpt_auth.runtime.app_secret import OPTIONAL_SECRET_KEYS, SECRET_KEYS
from localdev import doctor
from localdev.doctor import check_secret, secret_findings, stack_target

REGION = "eu-west-1"
GOOD = {
    "GOOGLE_CLIENT_ID": "123-abc.apps.googleusercontent.com",
    "GOOGLE_CLIENT_SECRET": "GOCSPX-real-looking-secret",
    "GPT_CLIENT_ID": "my-gpt",
    "GPT_CLIENT_SECRET": "a-long-random-gpt-client-secret",
    "MONGODB_URI": "mongodb+srv://gpt:pw0123456789@cluster0.example.mongodb.net/",
    "TOKEN_ENCRYPTION_KEYS": "generated:" + "A" * 43,
    "TOKEN_HASH_KEYS": "generated:" + "B" * 43,
}


def the_only(findings: list[doctor.Finding]) -> doctor.Finding:
    (finding,) = findings
    return finding


def test_the_stack_s_generated_secret_passes():
    finding = the_only(secret_findings(json.dumps(GOOD)))
    assert finding.ok is True
    for key in (*SECRET_KEYS, *OPTIONAL_SECRET_KEYS):
        assert key in finding.what


@pytest.mark.parametrize("key", [*SECRET_KEYS, *OPTIONAL_SECRET_KEYS])
@pytest.mark.parametrize("value", [None, "", "  "], ids=["missing", "empty", "blank"])
def test_each_missing_key_is_named(key, value):
    secret = {k: v for k, v in GOOD.items() if k != key} | ({} if value is None else {key: value})
    finding = the_only(secret_findings(json.dumps(secret)))
    assert finding.ok is False and finding.what == f"secret: {key} missing or empty"


@pytest.mark.parametrize(
    "value", ["<your client id>", "changeme", "REPLACE_ME", "your-google-client-id", "...", "xxx"]
)
def test_a_placeholder_is_named_and_never_shown(value):
    finding = the_only(secret_findings(json.dumps(GOOD | {"GOOGLE_CLIENT_ID": value})))
    assert finding.ok is False and finding.what == "secret: GOOGLE_CLIENT_ID still holds a placeholder"
    assert value not in finding.render()


def test_a_password_with_brackets_is_not_taken_for_a_placeholder():
    uri = "mongodb+srv://gpt:p{w}<0>1@cluster0.example.mongodb.net/"
    assert the_only(secret_findings(json.dumps(GOOD | {"MONGODB_URI": uri}))).ok is True


def test_a_value_the_settings_refuse_is_named_without_the_value():
    finding = the_only(secret_findings(json.dumps(GOOD | {"GPT_CLIENT_SECRET": "short-but-real"})))
    assert finding.ok is False and "GPT_CLIENT_SECRET must be at least 16 characters" in finding.what
    assert "short-but-real" not in finding.render()
    uri = the_only(secret_findings(json.dumps(GOOD | {"MONGODB_URI": "https://cluster0.example.net"})))
    assert uri.ok is False and "MONGODB_URI" in uri.what and "cluster0" not in uri.render()


@pytest.mark.parametrize("text", ["not json", "[1, 2]"])
def test_a_secret_that_is_not_a_json_object_is_a_problem(text):
    assert the_only(secret_findings(text)).ok is False


def target_with(arn: str | None) -> doctor.Target:
    return doctor.Target(
        urls=doctor.ActionUrls("https://h/authorize", "https://h/token", "https://h/hello"),
        privacy_url="https://h/authorize/privacy",
        google_redirect_uri="https://h/authorize/callback",
        gpt_client_id="my-gpt",
        label="stack",
        secret_arn=arn,
    )


def test_the_secret_is_read_with_boto3_and_checked(fake_aws):
    client = boto3.client("secretsmanager", region_name=REGION)
    good = client.create_secret(Name="good", SecretString=json.dumps(GOOD))["ARN"]
    assert the_only(check_secret(target_with(good))).ok is True
    placeholder = json.dumps(GOOD | {"MONGODB_URI": "mongodb+srv://<user>:<password>@cluster0/"})
    bad = client.create_secret(Name="bad", SecretString=placeholder)["ARN"]
    assert the_only(check_secret(target_with(bad))).what == "secret: MONGODB_URI still holds a placeholder"


def test_a_secret_that_cannot_be_read_is_left_to_check_by_hand(fake_aws):
    arn = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:gone-AbCdEf"
    finding = the_only(check_secret(target_with(arn)))
    assert finding.ok is None and "ResourceNotFoundException" in finding.what
    assert "Secrets Manager console" in finding.fix


def test_the_target_comes_from_the_stack_s_outputs(fake_aws):
    outputs = {
        "AuthorizationUrl": "https://d1.cloudfront.net/authorize",
        "TokenUrl": "https://d1.cloudfront.net/token",
        "ActionUrl": "https://d1.cloudfront.net/hello",
        "GoogleRedirectUri": "https://d1.cloudfront.net/authorize/callback",
        "PrivacyPolicyUrl": "https://d1.cloudfront.net/authorize/privacy",
        "GptClientId": "my-gpt",
        "AppSecretArn": f"arn:aws:secretsmanager:{REGION}:123456789012:secret:app-AbCdEf",
    }
    body = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="gpt", TemplateBody=json.dumps(body)
    )
    target = stack_target("gpt", REGION, None)
    assert (
        target.urls.token == outputs["TokenUrl"]
        and target.google_redirect_uri == outputs["GoogleRedirectUri"]
    )
    assert target.gpt_client_id == "my-gpt" and target.secret_arn == outputs["AppSecretArn"]
    assert target.privacy_url == outputs["PrivacyPolicyUrl"] and not target.local
    # AND an existing secret's stack (its GptClientId output is a sentence) leaves the id to GPT_CLIENT_ID
    assert stack_target("gpt", REGION, "given").gpt_client_id == "given"


def test_with_an_existing_secret_the_gpt_client_id_is_read_from_it(fake_aws):
    # GIVEN a stack on an existing secret: its GptClientId output is a sentence, not an id
    arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="existing", SecretString=json.dumps(GOOD | {"GPT_CLIENT_ID": "from-the-secret"})
    )["ARN"]
    outputs = {
        "AuthorizationUrl": "https://h/authorize",
        "TokenUrl": "https://h/token",
        "ActionUrl": "https://h/hello",
        "GptClientId": "the GPT_CLIENT_ID in your existing secret",
        "AppSecretArn": arn,
    }
    body = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="old", TemplateBody=json.dumps(body)
    )
    # THEN make doctor signs in as the secret's client
    assert stack_target("old", REGION, None).gpt_client_id == "from-the-secret"


def test_a_stack_that_cannot_be_read_is_an_error_saying_what_to_give(fake_aws, capsys):
    assert doctor.main(["--stack", "nope", "--region", REGION]) == 1
    err = capsys.readouterr().err
    assert (
        "Stack 'nope' does not exist in eu-west-1" in err
        and "make doctor STACK=<stack> REGION=<region>" in err
    )
