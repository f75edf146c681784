"""Reading a deployed stack's outputs (moto's CloudFormation) and the deploy target in samconfig.toml."""

from __future__ import annotations

import json

import boto3
import pytest

from localdev import stack_outputs
from localdev.stack_outputs import StackOutputsError, deploy_target, read_stack_outputs

REGION = "eu-west-1"
OUTPUTS = {
    "AuthorizationUrl": "https://auth.lambda-url.eu-west-1.on.aws/",
    "TokenUrl": "https://token.lambda-url.eu-west-1.on.aws/",
    "ActionUrl": "https://action.lambda-url.eu-west-1.on.aws/",
    "GoogleRedirectUri": "https://auth.lambda-url.eu-west-1.on.aws/callback",
}


def template(outputs: dict[str, str]) -> str:
    body = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    return json.dumps(body)


@pytest.fixture
def cloudformation(fake_aws):
    return boto3.client("cloudformation", region_name=REGION)


def test_reads_every_output_of_the_stack(cloudformation):
    # GIVEN a deployed stack with outputs
    cloudformation.create_stack(StackName="gpt-google-auth", TemplateBody=template(OUTPUTS))
    # WHEN they are read
    outputs = read_stack_outputs("gpt-google-auth", REGION, required=("AuthorizationUrl", "TokenUrl"))
    # THEN every key and value is there
    assert outputs == OUTPUTS


def test_a_missing_stack_says_so_and_what_to_do(cloudformation):
    with pytest.raises(
        StackOutputsError, match=r"'nope' does not exist in eu-west-1: deploy it with `make deploy`"
    ):
        read_stack_outputs("nope", REGION)


def test_the_region_comes_from_the_stack_region_not_another(cloudformation, monkeypatch):
    # GIVEN the stack lives in eu-west-1, and boto3's default region is another
    cloudformation.create_stack(StackName="gpt-google-auth", TemplateBody=template(OUTPUTS))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # THEN reading without a region looks in us-east-1, and names it in the error
    with pytest.raises(StackOutputsError, match="does not exist in us-east-1"):
        read_stack_outputs("gpt-google-auth")
    assert read_stack_outputs("gpt-google-auth", REGION)["TokenUrl"] == OUTPUTS["TokenUrl"]


def test_a_stack_without_outputs_says_so_with_its_status(cloudformation):
    body = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})
    cloudformation.create_stack(StackName="bare", TemplateBody=body)
    with pytest.raises(
        StackOutputsError, match=r"'bare' in eu-west-1 has no outputs \(status CREATE_COMPLETE\)"
    ):
        read_stack_outputs("bare", REGION)


def test_a_stack_lacking_a_required_output_names_it(cloudformation):
    cloudformation.create_stack(StackName="old", TemplateBody=template({"TokenUrl": OUTPUTS["TokenUrl"]}))
    with pytest.raises(StackOutputsError, match=r"lacks the output\(s\) AuthorizationUrl, ActionUrl:"):
        read_stack_outputs("old", REGION, required=("AuthorizationUrl", "TokenUrl", "ActionUrl"))


def test_no_region_anywhere_is_a_clear_error(monkeypatch, tmp_path):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(StackOutputsError, match="No AWS region"):
        read_stack_outputs("gpt-google-auth")


def test_the_region_variable_the_error_names_is_the_one_boto3_reads(cloudformation, monkeypatch, tmp_path):
    # GIVEN no region anywhere but AWS_REGION (Lambda's name, which boto3 does not read)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_REGION", REGION)
    cloudformation.create_stack(StackName="gpt-google-auth", TemplateBody=template(OUTPUTS))
    # THEN the stack is not found for want of a region, and the error names the variable to set
    with pytest.raises(StackOutputsError, match=r"No AWS region: .* set AWS_DEFAULT_REGION,") as error:
        read_stack_outputs("gpt-google-auth")
    assert "AWS_REGION," not in str(error.value).replace("AWS_DEFAULT_REGION", "")
    # AND setting that variable is enough
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    assert read_stack_outputs("gpt-google-auth")["TokenUrl"] == OUTPUTS["TokenUrl"]


def test_no_credentials_is_a_clear_error(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(StackOutputsError, match="No AWS credentials"):
        read_stack_outputs("gpt-google-auth", REGION)


def test_deploy_target_prefers_what_the_guided_deploy_saved(tmp_path):
    config = tmp_path / "samconfig.toml"
    config.write_text(
        'version = 0.1\n[default.global.parameters]\nstack_name = "gpt-google-auth"\n'
        '[default.deploy.parameters]\nstack_name = "my-gpt"\nregion = "eu-central-1"\n'
    )
    assert deploy_target(config) == ("my-gpt", "eu-central-1")


def test_deploy_target_defaults_without_a_region(tmp_path):
    config = tmp_path / "samconfig.toml"
    assert deploy_target(config) == ("gpt-google-auth", None)
    config.write_text('version = 0.1\n[default.global.parameters]\nstack_name = "other"\n')
    assert deploy_target(config) == ("other", None)


def test_the_command_prints_the_outputs(cloudformation, capsys):
    cloudformation.create_stack(StackName="gpt-google-auth", TemplateBody=template(OUTPUTS))
    assert stack_outputs.main(["--region", REGION, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == OUTPUTS
    assert stack_outputs.main(["--region", REGION]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ActionUrl", OUTPUTS["ActionUrl"]]


def test_the_command_fails_with_the_reason(cloudformation, capsys):
    assert stack_outputs.main(["--stack", "nope", "--region", REGION]) == 1
    assert "error: Stack 'nope' does not exist" in capsys.readouterr().err
