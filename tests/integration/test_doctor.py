"""make doctor against the system as make dev runs it (emulator, Google stand-in), each mistake on purpose.

Google is the stand-in: like Google, it refuses a redirect URI not registered for the client (400).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
import requests

from gpt_auth.runtime import settings
from localdev import doctor
from localdev.dev import LocalUrls
from localdev.doctor import Finding, local_target, run_checks
from localdev.manifest import ActionUrls, build_manifest, render
from localdev.nx_server import free_port
from localdev.stand_in import StandIn
from tests.support.make_dev import calendar_settings
from tests.support.paths import ROOT

OTHER_GPT = "https://chatgpt.com/aip/g-other0000/oauth/callback"
MY_GPT = "https://chatgpt.com/aip/g-mine0000/oauth/callback"


@pytest.fixture
def dev(emulator: str, stand_in: StandIn, configure: Callable[..., None]) -> LocalUrls:
    """make dev's settings on the in-process emulator, with a stand-in client registered for its callback."""
    urls = LocalUrls(emulator)
    configure(**calendar_settings(stand_in, urls))
    return urls


def checks(urls: LocalUrls, **kwargs: Any) -> list[Finding]:
    """make doctor's checks of the local URLs, as the GPT of the settings in force."""
    manifest = kwargs.pop("manifest", render(build_manifest(ActionUrls.local(urls.base))))
    target = local_target(urls.base, settings.get_settings().gpt_client_id)
    return run_checks(target, manifest_text=manifest, **kwargs)


def failed(findings: list[Finding]) -> list[str]:
    return [f.what for f in findings if f.ok is False]


def test_a_healthy_system_passes_every_check(dev):
    # WHEN make doctor checks make dev's system as deployed
    findings = checks(dev)
    # THEN every check is ok, each named, and the report exits 0
    assert failed(findings) == [] and all(f.ok for f in findings), [f.render() for f in findings]
    names = " ".join(f.what for f in findings)
    for part in (
        "authorization URL: 302",
        "redirect URI sent to Google",
        "consent page answers",
        "token URL: 401",
    ):
        assert part in names
    for part in (
        "action URL: 401 with WWW-Authenticate: Bearer",
        "store: answers",
        "MCP discovery: /mcp's 401 -> its metadata -> "
        f"{dev.base}/.well-known/oauth-authorization-server/googleAuthorization",
        "privacy page: 200",
        "manifest:",
    ):
        assert part in names
    text, status = doctor.report(findings, "make dev")
    assert status == 0 and text.endswith("No problem found.")


def test_a_redirect_uri_google_does_not_know_is_a_problem_with_its_fix(dev, stand_in, configure):
    # GIVEN the Google client registered for another redirect URI (the one of an old stack)
    client_id, client_secret = stand_in.register_client(
        ["http://127.0.0.1:1/old/callback"], "openid email profile"
    )
    configure(GOOGLE_CLIENT_ID=client_id, GOOGLE_CLIENT_SECRET=client_secret)
    # WHEN make doctor runs
    findings = checks(dev)
    # THEN Google's refusal is reported with the URI to add, and the report exits 1
    (problem,) = [f for f in findings if f.ok is False]
    assert problem.what.startswith(f"Google refuses the redirect URI {dev.google_redirect}")
    assert f"must list exactly {dev.google_redirect}" in problem.fix
    assert doctor.report(findings, "make dev")[1] == 1


def test_functions_sending_another_redirect_uri_than_the_stack_s_is_a_problem(dev, configure):
    configure(GOOGLE_REDIRECT_URI="http://127.0.0.1:1/old/callback")
    (problem,) = failed(checks(dev))
    assert "send Google the redirect URI 'http://127.0.0.1:1/old/callback'" in problem
    assert repr(dev.google_redirect) in problem


@pytest.mark.parametrize(
    "setting",
    [{"TOKEN_URL": "http://127.0.0.1:1/token"}, {"AUTHORIZATION_SERVER_URL": "http://127.0.0.1:1/elsewhere"}],
    ids=["token URL", "issuer"],
)
def test_metadata_that_differs_from_the_outputs_is_a_problem_mcp_clients_would_meet(dev, configure, setting):
    # GIVEN the functions' metadata settings differing from the URLs the outputs give
    configure(**setting)
    # WHEN make doctor runs, THEN only MCP's discovery fails, naming what it met and what is expected
    (problem,) = [f for f in checks(dev) if f.ok is False]
    assert problem.what.startswith("MCP: ")
    assert next(iter(setting.values())) in problem.what
    assert f"the outputs {dev.authorization.rstrip('/')}" in problem.what
    assert "AUTHORIZATION_SERVER_URL or TOKEN_URL" in problem.fix


def test_a_gpt_callback_outside_the_allowlist_is_a_problem_and_inside_it_passes(dev, configure):
    # GIVEN the allowlist pinned to one GPT
    configure(ALLOWED_REDIRECT_URIS=MY_GPT.replace(".", r"\."))
    # WHEN another GPT's callback is checked, THEN it is refused with the parameter to set
    findings = checks(dev, callback=OTHER_GPT)
    (problem,) = [f for f in findings if f.ok is False]
    assert problem.what == f"your GPT's callback {OTHER_GPT} is not in the allowlist"
    assert "AllowedRedirectUris" in problem.fix
    # AND without CALLBACK the sign-in is left to check by hand, not failed
    unchecked = checks(dev)
    assert failed(unchecked) == []
    assert any(f.ok is None and "CALLBACK=" in f.fix for f in unchecked)
    # AND the GPT's own callback passes, and the sign-in is checked through to Google
    passing = checks(dev, callback=MY_GPT)
    assert failed(passing) == []
    assert f"your GPT's callback passes the allowlist: {MY_GPT}" in [f.what for f in passing]


def test_a_store_the_functions_cannot_reach_is_a_problem_without_its_uri(dev, configure):
    # GIVEN a MONGODB_URI where nothing listens
    uri = f"mongodb://127.0.0.1:{free_port()}/?directConnection=true"
    configure(MONGODB_URI=uri)
    # WHEN make doctor runs
    findings = checks(dev)
    # THEN the store is reported from the functions' answers, with Atlas's fixes, never the URI
    problems = failed(findings)
    assert any(p.startswith("store: the functions cannot reach it") for p in problems), problems
    store = next(f for f in findings if f.what.startswith("store:"))
    assert "Network Access" in store.fix
    assert uri not in doctor.report(findings, "make dev")[0]


def test_a_malformed_setting_is_reported_as_the_functions_name_it(dev, configure):
    target = local_target(dev.base, settings.get_settings().gpt_client_id)
    configure(GPT_CLIENT_SECRET="too-short")
    problems = failed(run_checks(target, manifest_text=render(build_manifest(target.urls))))
    assert any(p.startswith("the token URL answered 500") and "GPT_CLIENT_SECRET" in p for p in problems), (
        problems
    )


def test_a_gpt_client_id_the_functions_do_not_know_is_a_problem(dev):
    findings = run_checks(
        local_target(dev.base, "not-our-gpt"),
        manifest_text=render(build_manifest(ActionUrls.local(dev.base))),
    )
    assert failed(findings) == ["the authorization URL does not know the GPT client id 'not-our-gpt'"]


def test_a_manifest_of_another_stack_is_a_problem(dev):
    old = render(build_manifest(ActionUrls.local("http://127.0.0.1:1")))
    (problem,) = failed(checks(dev, manifest=old))
    assert problem.startswith("manifest: manifest.json: ") and "http://127.0.0.1:1" in problem
    assert failed(checks(dev, manifest=None)) == ["manifest: manifest.json cannot be read"]


class GoogleOffline(requests.Session):
    """No route to the stand-in's host (a machine without internet): every other call goes through."""

    def __init__(self, issuer: str) -> None:
        super().__init__()
        self.issuer = issuer

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if str(url).startswith(self.issuer):
            raise requests.ConnectionError("no route to host")
        return super().request(method, url, *args, **kwargs)


def test_google_out_of_reach_is_a_line_to_check_by_hand_not_a_failure(dev, stand_in):
    findings = checks(dev, session=GoogleOffline(stand_in.issuer))
    (by_hand,) = [f for f in findings if f.ok is None]
    assert by_hand.what == "Google could not be asked (ConnectionError)"
    assert f"must list exactly {dev.google_redirect}" in by_hand.fix
    assert failed(findings) == []


def test_a_url_that_is_not_https_is_a_problem_outside_loopback():
    target = doctor.Target(
        urls=ActionUrls("http://gpt.example.com/authorize", "https://a/token", "https://a/hello"),
        privacy_url="https://a/authorize/privacy",
        google_redirect_uri="https://a/authorize/callback",
        gpt_client_id="my-gpt",
        label="a stack",
    )
    assert failed(run_checks(target)) == [
        "the authorization URL http://gpt.example.com/authorize is not an https URL"
    ]


def test_the_command_exits_1_on_a_problem_and_0_when_all_is_well(dev, tmp_path, capsys, configure):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(render(build_manifest(ActionUrls.local(dev.base))))
    args = [
        "--local",
        dev.base,
        "--manifest",
        str(manifest),
        "--gpt-client-id",
        settings.get_settings().gpt_client_id,
    ]
    assert doctor.main(args) == 0
    assert capsys.readouterr().out.rstrip().endswith("No problem found.")
    configure(ALLOWED_REDIRECT_URIS=MY_GPT.replace(".", r"\."))
    assert doctor.main([*args, "--callback", OTHER_GPT]) == 1
    out = capsys.readouterr().out
    assert "FAIL  your GPT's callback" in out and out.rstrip().endswith(
        "1 problem(s): fix each, then run make doctor again."
    )


@pytest.mark.parametrize(
    ("mistake", "status", "reported"),
    [
        ({}, 0, "No problem found."),
        (
            {"MONGODB_URI": "mongodb://127.0.0.1:{port}/?directConnection=true"},
            1,
            "FAIL  store: the functions cannot",
        ),
    ],
    ids=["healthy", "store-unreachable"],
)
def test_make_doctor_against_make_dev(mistake, status, reported):
    from localdev.dev import SIMULATOR_LINE
    from tests.integration.test_dev import make_dev

    env = {name: value.format(port=free_port()) for name, value in mistake.items()}
    # GIVEN make dev running, as is or with the mistake
    with make_dev(PORT="0", **env) as (_proc, banner):
        base = re.search(rf"{re.escape(SIMULATOR_LINE)}(\S+)/$", banner, re.M)
        assert base, banner
        # WHEN make doctor checks it as a separate process
        done = subprocess.run(
            [sys.executable, "-m", "localdev.doctor", "--local", base.group(1)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    # THEN its status and report say what is wrong, if anything
    assert done.returncode == status, done.stdout + done.stderr
    assert reported in done.stdout
