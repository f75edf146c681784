"""manifest.json: generated from the function URLs, validated as the GPT editor needs it."""

from __future__ import annotations

import copy
import json

import boto3
import pytest
from moto import mock_aws

from gpt_auth.actions.hello import MAX_NAME_LENGTH
from localdev import manifest as m
from tests.support.paths import ROOT

DEPLOYED = m.ActionUrls(
    authorization="https://aaaa1111.lambda-url.eu-west-1.on.aws/",
    token="https://bbbb2222.lambda-url.eu-west-1.on.aws/",
    action="https://cccc3333.lambda-url.eu-west-1.on.aws/",
)


@pytest.fixture
def good() -> dict:
    return m.build_manifest(DEPLOYED)


def only_problem(manifest, **kwargs) -> str:
    problems = m.manifest_problems(manifest, **kwargs)
    assert len(problems) == 1, problems
    return problems[0]


def test_generated_manifest_is_valid_and_points_at_the_deployment(good):
    assert m.manifest_problems(good, expected=DEPLOYED) == []
    assert good["openapi"] == "3.1.0"
    assert good["servers"] == [{"url": "https://cccc3333.lambda-url.eu-west-1.on.aws"}]
    operation = good["paths"]["/"]["post"]
    assert operation["operationId"] == "getHello"
    assert set(operation["responses"]) == {"200", "400", "401"}
    assert "text/plain" in operation["responses"]["200"]["content"]
    assert good["components"]["schemas"]["HelloRequest"]["required"] == ["name"]
    flow = good["components"]["securitySchemes"][m.SCHEME_NAME]["flows"]["authorizationCode"]
    assert (flow["authorizationUrl"], flow["tokenUrl"]) == (DEPLOYED.authorization, DEPLOYED.token)
    assert m.manifest_size(good) < m.MAX_MANIFEST_CHARS


def test_name_limit_is_the_action_s_own():
    schema = m.build_manifest(DEPLOYED)["components"]["schemas"]["HelloRequest"]
    assert schema["properties"]["name"]["maxLength"] == MAX_NAME_LENGTH


def test_missing_operation_id_is_named(good):
    del good["paths"]["/"]["post"]["operationId"]
    assert only_problem(good) == "POST / has no operationId (the GPT calls actions by it)"


def test_duplicate_operation_ids_are_refused(good):
    good["paths"]["/again"] = copy.deepcopy(good["paths"]["/"])
    problems = m.manifest_problems(good)
    assert any("'getHello' is also used by POST /" in p for p in problems), problems


def test_operation_id_must_be_a_function_name(good):
    good["paths"]["/"]["post"]["operationId"] = "get hello!"
    assert "must be 1-64 letters, digits" in only_problem(good)


def test_http_server_url_is_refused_in_deploy_mode_but_loopback_is_fine_locally(good):
    good["servers"][0]["url"] = "http://cccc3333.lambda-url.eu-west-1.on.aws"
    assert only_problem(good) == (
        "servers[0].url must be an absolute https:// URL, got 'http://cccc3333.lambda-url.eu-west-1.on.aws'"
    )
    local = m.build_manifest(m.ActionUrls.local("http://127.0.0.1:3456"))
    assert m.manifest_problems(local, local=True) == []
    assert len(m.manifest_problems(local)) == 3  # server, authorization and token URLs


def test_local_mode_still_refuses_http_off_loopback(good):
    good["components"]["securitySchemes"][m.SCHEME_NAME]["flows"]["authorizationCode"]["tokenUrl"] = (
        "http://example.com/token"
    )
    assert (
        "tokenUrl must be an absolute https:// (or http:// on 127.0.0.1 in local mode) URL"
        in only_problem(good, local=True)
    )


def test_missing_security_scheme_is_refused(good):
    del good["components"]["securitySchemes"]
    del good["security"]
    assert only_problem(good).startswith(
        "components.securitySchemes must hold exactly one oauth2 scheme with an authorizationCode flow"
    )


def test_api_key_scheme_instead_of_oauth2_is_refused(good):
    good["components"]["securitySchemes"] = {"key": {"type": "apiKey", "name": "X-Key", "in": "header"}}
    good["security"] = [{"key": []}]
    assert "found none" in only_problem(good)


def test_operation_outside_the_oauth_scheme_is_refused(good):
    good["paths"]["/"]["post"]["security"] = []
    assert only_problem(good) == "POST / does not require the oauth2 scheme 'googleSignIn' (add security)"


def test_urls_that_are_not_the_deployed_functions_are_refused(good):
    other = m.ActionUrls(DEPLOYED.authorization, "https://elsewhere.example/token", DEPLOYED.action)
    problem = only_problem(good, expected=other)
    assert "tokenUrl is 'https://bbbb2222.lambda-url.eu-west-1.on.aws/'" in problem
    assert "the deployed function is 'https://elsewhere.example/token'" in problem


def test_oversize_manifest_is_refused(good):
    good["info"]["description"] = "x" * m.MAX_MANIFEST_CHARS
    problem = only_problem(good)
    assert problem.startswith("it is 1")
    assert "characters; keep it under 10,000 since the GPT reads it on every turn" in problem


def test_long_operation_description_is_refused(good):
    good["paths"]["/"]["post"]["description"] = "y" * 301
    assert only_problem(good) == "POST /: description is 301 characters; the GPT editor allows 300"


def test_openapi_structure_errors_are_reported_with_their_place(good):
    del good["info"]["version"]
    problem = only_problem(good)
    assert problem.startswith("OpenAPI 3.1: info: ") and "version" in problem
    assert problem.endswith("is a required property")


def test_wrong_openapi_version_and_bad_json_are_refused(good):
    good["openapi"] = "3.0.3"
    assert only_problem(good) == "openapi must be '3.1.0', got '3.0.3'"
    assert m.manifest_problems("{not json").pop().startswith("not valid JSON")


def test_validate_raises_with_every_problem_listed(good):
    del good["paths"]["/"]["post"]["operationId"]
    good["servers"][0]["url"] = "http://x.example"
    with pytest.raises(m.ManifestError) as caught:
        m.validate_manifest(good, source="manifest.json")
    message = str(caught.value)
    assert message.startswith("manifest.json is not a valid GPT action schema:\n  - ")
    assert "no operationId" in message and "must be an absolute https:// URL" in message


def urls_in(manifest: dict) -> m.ActionUrls:
    flow = manifest["components"]["securitySchemes"][m.SCHEME_NAME]["flows"]["authorizationCode"]
    return m.ActionUrls(flow["authorizationUrl"], flow["tokenUrl"], manifest["servers"][0]["url"])


def test_manifest_file_is_generated_and_valid_or_holds_only_placeholders():
    # GIVEN manifest.json as committed (placeholders) or as `make manifest` wrote it
    text = (ROOT / "manifest.json").read_text()
    # THEN it is exactly what the generator makes for its URLs (the schema is not edited by hand)
    assert text == m.render(m.build_manifest(urls_in(json.loads(text))))
    # AND it is valid, except for placeholders that each say what to do
    problems = m.manifest_problems(text)
    assert all("still the placeholder" in p and "run `make manifest`" in p for p in problems), problems


def test_placeholders_are_refused_with_what_to_do():
    problems = m.manifest_problems(m.build_manifest(m.PLACEHOLDER_URLS))
    assert len(problems) == 3
    assert all("still the placeholder" in p and "run `make manifest`" in p for p in problems)


def test_instructions_beside_the_manifest_name_the_operation():
    instructions = (ROOT / "gpt-instructions.md").read_text()
    assert "getHello" in instructions
    assert len(instructions) < 1500


def url_args(urls: m.ActionUrls) -> list[str]:
    return ["--authorization-url", urls.authorization, "--token-url", urls.token, "--action-url", urls.action]


def test_cli_write_with_urls_writes_a_valid_manifest(tmp_path, capsys):
    out = tmp_path / "manifest.json"
    assert m.main(["write", *url_args(DEPLOYED), "--output", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written == m.build_manifest(DEPLOYED)
    printed = capsys.readouterr().out
    assert "Token URL              https://bbbb2222.lambda-url.eu-west-1.on.aws/" in printed
    assert "Scope                  openid email profile" in printed
    assert m.main(["check", str(out), *url_args(DEPLOYED)]) == 0


def test_cli_write_refuses_http_urls_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "manifest.json"
    http = m.ActionUrls("http://a.example/", DEPLOYED.token, DEPLOYED.action)
    assert m.main(["write", *url_args(http), "--output", str(out)]) == 1
    assert not out.exists()
    assert "authorizationUrl must be an absolute https:// URL" in capsys.readouterr().err


def test_cli_needs_all_three_urls(tmp_path):
    with pytest.raises(SystemExit, match="all three"):
        m.main(["write", "--token-url", DEPLOYED.token, "--output", str(tmp_path / "m.json")])


def test_cli_check_reports_placeholders(tmp_path, capsys):
    path = tmp_path / "manifest.json"
    path.write_text(m.render(m.build_manifest(m.PLACEHOLDER_URLS)))
    assert m.main(["check", str(path)]) == 1
    assert "run `make manifest`" in capsys.readouterr().err


def test_cli_local_prints_a_valid_local_manifest(capsys):
    assert m.main(["local", "--base-url", "http://127.0.0.1:4321"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["servers"][0]["url"] == "http://127.0.0.1:4321/testEndpoint"
    assert m.manifest_problems(printed, local=True) == []


REGION = "eu-west-1"
STACK_OUTPUTS = {
    "AuthorizationUrl": DEPLOYED.authorization,
    "TokenUrl": DEPLOYED.token,
    "ActionUrl": DEPLOYED.action,
    "GptClientId": "my-gpt",
    "GptScope": "openid email profile",
}


@pytest.fixture
def cloudformation(monkeypatch, tmp_path):
    """moto's CloudFormation (AWS is an edge we don't own), and no samconfig.toml defaults."""
    from localdev import stack_outputs

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setattr(stack_outputs, "SAMCONFIG", tmp_path / "samconfig.toml")
    with mock_aws():
        yield boto3.client("cloudformation", region_name=REGION)


def deploy_stack(cloudformation, name: str, outputs: dict[str, str]) -> None:
    body = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(body))


def test_write_from_stack_outputs(cloudformation, tmp_path, capsys):
    # GIVEN a deployed stack
    deploy_stack(cloudformation, "my-stack", STACK_OUTPUTS)
    out = tmp_path / "manifest.json"
    # WHEN `make manifest STACK=my-stack REGION=eu-west-1` runs
    assert m.main(["write", "--stack", "my-stack", "--region", REGION, "--output", str(out)]) == 0
    # THEN manifest.json points at the stack's functions, and the paste table uses its outputs
    assert json.loads(out.read_text()) == m.build_manifest(DEPLOYED)
    printed = capsys.readouterr().out
    assert "Client ID              my-gpt" in printed
    assert "Scope                  openid email profile" in printed
    # AND `check --stack` accepts it, but not once the stack's URLs changed
    assert m.main(["check", str(out), "--stack", "my-stack", "--region", REGION]) == 0
    moved = {**STACK_OUTPUTS, "ActionUrl": "https://moved.lambda-url.eu-west-1.on.aws/"}
    deploy_stack(cloudformation, "moved", moved)
    assert m.main(["check", str(out), "--stack", "moved", "--region", REGION]) == 1
    assert "but the deployed action function is 'https://moved" in capsys.readouterr().err


def test_write_uses_the_stack_and_region_saved_by_make_deploy(cloudformation, tmp_path, monkeypatch):
    from localdev import stack_outputs

    # GIVEN samconfig.toml as `make deploy` saved it, and no region in the environment
    (tmp_path / "samconfig.toml").write_text(
        f'version = 0.1\n[default.deploy.parameters]\nstack_name = "saved"\nregion = "{REGION}"\n'
    )
    monkeypatch.setattr(stack_outputs, "SAMCONFIG", tmp_path / "samconfig.toml")
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    deploy_stack(cloudformation, "saved", STACK_OUTPUTS)
    out = tmp_path / "manifest.json"
    # WHEN `make manifest` runs without arguments
    assert m.main(["write", "--output", str(out)]) == 0
    # THEN it wrote the saved stack's manifest
    assert json.loads(out.read_text())["servers"] == [{"url": DEPLOYED.action.rstrip("/")}]


def test_missing_stack_is_a_clear_error_and_writes_nothing(cloudformation, tmp_path, capsys):
    out = tmp_path / "manifest.json"
    assert m.main(["write", "--stack", "absent", "--region", REGION, "--output", str(out)]) == 1
    assert not out.exists()
    err = capsys.readouterr().err
    assert "Stack 'absent' does not exist in eu-west-1" in err
    assert "make manifest STACK=<stack> REGION=<region>" in err


def test_stack_without_the_url_outputs_is_a_clear_error(cloudformation, tmp_path, capsys):
    deploy_stack(cloudformation, "other", {"Something": "else"})
    assert (
        m.main(["write", "--stack", "other", "--region", REGION, "--output", str(tmp_path / "m.json")]) == 1
    )
    assert "AuthorizationUrl" in capsys.readouterr().err


# --- what derives from the declared actions -----------------------------------------------------


def test_committed_instructions_and_route_table_are_written_from_the_declarations():
    from localdev.gpt_instructions import INSTRUCTIONS_PATH, render_instructions

    assert INSTRUCTIONS_PATH.read_text() == render_instructions(), "run `make manifest PLACEHOLDER=1`"
    assert m.route_table() in m.REFERENCE_PATH.read_text(), "run `make manifest PLACEHOLDER=1`"


def test_every_declared_action_is_an_operation_with_its_declared_input(good):
    from gpt_auth.actions.catalog import ACTIONS
    from gpt_auth.actions.inputs import json_schema

    for action in ACTIONS:
        operation = good["paths"][action.path][action.method.lower()]
        assert operation["operationId"] == action.operation_id
        if action.query is not None:
            declared = json_schema(action.query)["properties"]
            assert {p["name"] for p in operation["parameters"]} == set(declared)
        if action.body is not None:
            name = action.body.__name__
            assert good["components"]["schemas"][name]["properties"] == json_schema(action.body)["properties"]


def test_an_action_over_the_instructions_budget_is_refused_naming_it(monkeypatch):
    from msgspec.structs import replace

    from gpt_auth.actions import catalog
    from localdev import gpt_instructions

    wordy = replace(catalog.ACTIONS[0], instruction="Say it again. " * 120)
    monkeypatch.setattr(gpt_instructions, "ACTIONS", (*catalog.ACTIONS, wordy))
    with pytest.raises(m.ManifestError, match="over its budget of 1,500"):
        m.write_instructions(m.ROOT / "unused.md")
    assert not (m.ROOT / "unused.md").exists()


def test_placeholder_write_reports_what_is_left_of_each_budget(tmp_path, capsys, monkeypatch):
    from localdev import gpt_instructions

    monkeypatch.setattr(m, "INSTRUCTIONS_PATH", tmp_path / "i.md")
    monkeypatch.setattr(m, "write_instructions", lambda: gpt_instructions.render_instructions())
    monkeypatch.setattr(m, "write_route_table", lambda: None)
    assert m.main(["write", "--placeholder", "--output", str(tmp_path / "manifest.json")]) == 0
    printed = capsys.readouterr().out
    assert "of 10,000 characters (" in printed and "of 1,500 characters (" in printed and "left)" in printed
    assert (tmp_path / "manifest.json").read_text() == (m.ROOT / "manifest.json").read_text()
