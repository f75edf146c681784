"""``make doctor``: check a deployed stack from outside, as the GPT and Google see it.

Each check prints ``ok``, ``FAIL`` with the fix, or ``check`` (cannot be asked from here: what to
look at by hand). The exit status is 1 when anything failed. What it checks (docs/deploy.md,
"Check the deployment"):

- every URL is https (http only on loopback, for ``make dev``) and answers as it should: the
  authorization URL 302 to Google with the stack's redirect URI, the token URL 400/401 for a
  client that is not ours, the action 401 with its ``WWW-Authenticate: Bearer`` challenge, the
  privacy page 200;
- Google's consent page answers for that redirect URI (it is registered for the client);
- the store answers: the action looks a made-up token up and says 401, not 503 (the functions
  report it; the URI never leaves the secret);
- the secret holds every key, none a placeholder, and the settings accept them (read with boto3
  and your credentials; values are never printed);
- an MCP client's discovery: ``/mcp``'s 401 -> its metadata -> the issuer's metadata, whose issuer
  and token URL are the ones ``/mcp`` names and the outputs give;
- ``manifest.json`` points at this stack's URLs;
- a GPT's callback (``CALLBACK=``) passes the allowlist.

Side effects: one pending sign-in request in the store (it expires unused) and log lines for the
refused calls. Command line::

    python -m localdev.doctor [--stack NAME] [--region REGION] [--callback URL] [--manifest PATH]
    python -m localdev.doctor --local [http://127.0.0.1:3000] [--callback URL] [--manifest PATH]
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import re
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from localdev.manifest import (
    LOOPBACK_HOSTS,
    MANIFEST_PATH,
    ActionUrls,
    StackError,
    manifest_problems,
    read_outputs,
)

TIMEOUT = 20.0  # seconds per request: above the functions' 2 s store timeouts and a cold start
# A callback any default allowlist accepts; a pinned allowlist refuses it (then CALLBACK= checks yours).
SAMPLE_CALLBACK = "https://chatgpt.com/aip/g-doctor/oauth/callback"
ALLOWLIST_FIX = (
    "set the parameter AllowedRedirectUris (ALLOWED_REDIRECT_URIS locally) to your GPT's callback "
    "pattern, e.g. "
    r"https://(chatgpt\.com|chat\.openai\.com)/aip/g-YOURID/oauth/callback, and make deploy "
    "(docs/deploy.md, 'Pin the allowlist to your GPT')"
)
# What people type where a value belongs: refused in the secret.
_PLACEHOLDER = re.compile(
    r"|.*<[A-Za-z _-]+>.*|.*…|\.\.\.|x+|todo|tbd|none|null|secret|password|placeholder|example"
    r"|change[-_ ]?me|replace[-_ ]?me|your[-_ ].*|.*\.invalid\b.*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Finding:
    """One check's result: ``ok`` True (fine), False (wrong: ``fix`` says what to do), None (by hand)."""

    ok: bool | None
    what: str
    fix: str = ""

    def render(self) -> str:
        mark = {True: "ok   ", False: "FAIL ", None: "check"}[self.ok]
        return f"  {mark} {self.what}" + (f"\n        fix: {self.fix}" if self.fix else "")


@dataclass(frozen=True)
class Target:
    """What is checked: the URLs the GPT and Google use, and where the stack's facts come from."""

    urls: ActionUrls
    privacy_url: str
    google_redirect_uri: str
    gpt_client_id: str
    label: str
    local: bool = False
    secret_arn: str | None = None


def _https_problem(name: str, url: str, *, local: bool) -> Finding | None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if local and parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return None
    return Finding(False, f"{name} {url} is not an https URL", "use the stack's outputs (make outputs)")


def _said(response: requests.Response) -> str:
    """What an answer says, for a finding: a JSON error's description, or a page's text, shortened."""
    try:
        body = response.json()
        if isinstance(body, dict):
            return str(body.get("error_description") or body.get("error") or body)[:300]
    except ValueError:
        pass
    text = re.sub(r"<(title|style|h1)[^>]*>.*?</\1>", " ", response.text, flags=re.S | re.I)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())[:300]


def _failed_answer(name: str, response: requests.Response) -> Finding:
    """A finding for an answer no check expected, with the fix its status points at."""
    status, said = response.status_code, _said(response)
    if status == 403 and "CloudFront" in said:
        fix = "this is a Function URL behind the one host: use the stack's outputs (make outputs)"
    elif status == 500:
        fix = "a setting is wrong (the message names it): fix it in the secret or the parameters, make deploy"
    elif status == 503:
        fix = "the secret or the store did not answer: see the store check and the function's log"
    else:
        fix = "see the function's log (docs/operate.md, 'Logs')"
    return Finding(False, f"{name} answered {status}: {said}", fix)


def check_authorize(
    target: Target, callback: str | None, get: Callable[..., requests.Response]
) -> tuple[list[Finding], str | None]:
    """The authorization URL as ChatGPT opens it; returns the findings and Google's URL (on success)."""
    if not target.gpt_client_id:
        return [
            Finding(
                None,
                "the stack's outputs name no GPT client id (an existing secret): the sign-in was not tried",
                "run again with GPT_CLIENT_ID=<the secret's GPT_CLIENT_ID>",
            )
        ], None
    redirect_uri = callback or SAMPLE_CALLBACK
    query = {
        "response_type": "code",
        "client_id": target.gpt_client_id,
        "redirect_uri": redirect_uri,
        "state": "make-doctor",
        "scope": "openid",
    }
    try:
        response = get(f"{target.urls.authorization}?{urlencode(query)}")
    except requests.RequestException as exc:
        return [_unreachable("the authorization URL", target.urls.authorization, exc)], None
    said = _said(response)
    if response.status_code == 400 and "redirect_uri is not allowed" in said:
        if callback:
            return [
                Finding(False, f"your GPT's callback {callback} is not in the allowlist", ALLOWLIST_FIX)
            ], None
        return [
            Finding(
                None,
                "the allowlist refuses other GPTs' callbacks (pinned), so the sign-in was not tried",
                "run again with CALLBACK=<the callback the GPT editor shows> to check yours",
            )
        ], None
    if response.status_code == 400 and "client_id is unknown" in said:
        return [
            Finding(
                False,
                f"the authorization URL does not know the GPT client id {target.gpt_client_id!r}",
                "type the output GptClientId into the GPT editor, or fix GPT_CLIENT_ID in the secret",
            )
        ], None
    if response.status_code != 302:
        return [_failed_answer("the authorization URL", response)], None
    location = response.headers.get("Location", "")
    if location.startswith(redirect_uri):
        error = parse_qs(urlsplit(location).query).get("error_description", ["(no description)"])[0]
        return [
            Finding(False, f"the authorization URL sent the GPT an error: {error}", "see the message")
        ], None
    sent = parse_qs(urlsplit(location).query).get("redirect_uri", [""])[0]
    google = urlsplit(location).netloc
    findings = [
        Finding(True, f"authorization URL: 302 to {google}"),
        *([Finding(True, f"your GPT's callback passes the allowlist: {callback}")] if callback else []),
    ]
    if sent != target.google_redirect_uri:
        findings.append(
            Finding(
                False,
                f"the functions send Google the redirect URI {sent!r}, "
                f"the stack's output is {target.google_redirect_uri!r}",
                "leave the parameter GoogleRedirectUri empty (or set it to the output), make deploy",
            )
        )
        return findings, None
    findings.append(Finding(True, f"redirect URI sent to Google: {sent}"))
    return findings, location


def google_error(response: requests.Response) -> str | None:
    """The OAuth error a Google answer reports, or None.

    Google sends a refused sign-in to its error page (``/signin/oauth/error?authError=<base64>``,
    whose decoded bytes name the error, e.g. ``redirect_uri_mismatch``); the stand-in answers 400
    with the error in JSON.
    """
    location = response.headers.get("Location", "")
    if response.is_redirect and "/signin/oauth/error" in location:
        raw = parse_qs(urlsplit(location).query).get("authError", [""])[0]
        try:
            decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("latin-1")
        except ValueError:
            decoded = ""
        codes = re.findall(r"[a-z]+(?:_[a-z]+)+", decoded)
        return codes[0] if codes else "an error"
    if response.status_code >= 400:
        codes = re.findall(
            r"redirect_uri_mismatch|invalid_client|deleted_client|invalid_request", response.text
        )
        return codes[0] if codes else f"HTTP {response.status_code}"
    return None


def check_google(location: str, redirect_uri: str, get: Callable[..., requests.Response]) -> Finding:
    """Google's consent page for our sign-in: it refuses a redirect URI not registered for the client."""
    by_hand = (
        "Google Cloud console > APIs & Services > Credentials > your OAuth client > Authorized "
        f"redirect URIs must list exactly {redirect_uri}"
    )
    try:
        response = get(location)
    except requests.RequestException as exc:
        return Finding(None, f"Google could not be asked ({type(exc).__name__})", by_hand)
    error = google_error(response)
    if error is None:
        return Finding(
            True, f"Google's consent page answers {response.status_code}: the redirect URI is registered"
        )
    said = _said(response) if response.status_code >= 400 else error
    if error == "redirect_uri_mismatch" or "redirect uri" in said.lower():
        return Finding(
            False, f"Google refuses the redirect URI {redirect_uri}: {said[:160]}", f"add it: {by_hand}"
        )
    if error in ("invalid_client", "deleted_client") or response.status_code == 401:
        return Finding(
            False,
            f"Google does not know the OAuth client, GOOGLE_CLIENT_ID ({error})",
            "copy the client ID from Google Cloud console > Credentials into the secret, make deploy",
        )
    return Finding(False, f"Google refuses the sign-in ({error}): {said[:160]}", by_hand)


def check_token(target: Target, post: Callable[..., requests.Response]) -> Finding:
    form = {
        "grant_type": "authorization_code",
        "code": "make-doctor",
        "redirect_uri": SAMPLE_CALLBACK,
        "client_id": "make-doctor-not-a-client",
        "client_secret": "make-doctor-not-a-secret",
    }
    try:
        response = post(target.urls.token, data=form)
    except requests.RequestException as exc:
        return _unreachable("the token URL", target.urls.token, exc)
    if response.status_code in (400, 401):
        return Finding(True, f"token URL: {response.status_code} for a client that is not ours")
    return _failed_answer("the token URL", response)


def check_action(target: Target, post: Callable[..., requests.Response]) -> list[Finding]:
    """The action without a token (the challenge), then with a made-up one (the store lookup)."""
    try:
        bare = post(target.urls.action, json={"name": "doctor"})
    except requests.RequestException as exc:
        return [_unreachable("the action URL", target.urls.action, exc)]
    challenge = bare.headers.get("WWW-Authenticate", "")
    if bare.status_code != 401 or not challenge.lower().startswith("bearer"):
        return [_failed_answer("the action URL without a token", bare)]
    findings = [Finding(True, f"action URL: 401 with WWW-Authenticate: {challenge}")]
    try:
        made_up = post(
            target.urls.action,
            json={"name": "doctor"},
            headers={"Authorization": f"Bearer gat_{secrets.token_urlsafe(32)}"},
        )
    except requests.RequestException as exc:
        return [*findings, _unreachable("the action URL", target.urls.action, exc)]
    if made_up.status_code == 401:
        return [*findings, Finding(True, "store: answers (the action looked a made-up token up: 401)")]
    if made_up.status_code == 503:
        return [
            *findings,
            Finding(
                False,
                f"store: the functions cannot reach it ({_said(made_up)})",
                "MongoDB Atlas > Network Access must allow 0.0.0.0/0 (Lambda has no fixed address), the "
                "user and password in MONGODB_URI must match a database user, the cluster must be "
                "running (docs/deploy.md, '2. MongoDB Atlas')",
            ),
        ]
    return [*findings, _failed_answer("the action URL with a made-up token", made_up)]


def check_privacy(target: Target, get: Callable[..., requests.Response]) -> Finding:
    try:
        response = get(target.privacy_url)
    except requests.RequestException as exc:
        return _unreachable("the privacy page", target.privacy_url, exc)
    if response.status_code == 200:
        return Finding(True, f"privacy page: 200 ({target.privacy_url})")
    return _failed_answer("the privacy page", response)


def check_mcp_discovery(
    target: Target, get: Callable[..., requests.Response], post: Callable[..., requests.Response]
) -> Finding:
    """An MCP client's discovery: ``/mcp``'s 401 names its metadata (RFC 9728), which names the
    issuer, whose metadata (RFC 8414, at the path-inserted URL) must state that issuer, byte for
    byte, and the token URL: the ``AuthorizationUrl`` (without its slash) and ``TokenUrl`` outputs."""
    from gpt_auth.oauth.server_metadata import OAUTH_WELL_KNOWN, well_known_url

    outputs = (target.urls.authorization.rstrip("/"), target.urls.token)
    redeploy = "the stack predates it: make deploy with this template"
    differs = (
        "MCP clients refuse any difference: the functions' AUTHORIZATION_SERVER_URL or TOKEN_URL are "
        "not the template's (docs/reference.md, 'Settings'); make deploy with this template"
    )
    url = target.urls.action.rstrip("/") + "/mcp"
    try:
        challenge = post(url, json={})
        named = re.search(r'resource_metadata="([^"]+)"', challenge.headers.get("WWW-Authenticate", ""))
        if challenge.status_code != 401 or named is None:
            return Finding(
                False, f"MCP: {url} answered {challenge.status_code} without resource_metadata", redeploy
            )
        url = named.group(1)
        resource = get(url)
        if resource.status_code != 200:
            return _failed_answer("/mcp's metadata", resource)
        issuer = str(resource.json()["authorization_servers"][0])
        if issuer != outputs[0]:
            return Finding(False, f"MCP: /mcp names the issuer {issuer}, the outputs {outputs[0]}", differs)
        url = well_known_url(issuer, OAUTH_WELL_KNOWN)
        answer = get(url)
        if answer.status_code == 404:
            return Finding(False, f"MCP: the issuer's metadata {url} is not found", redeploy)
        if answer.status_code != 200:
            return _failed_answer("the issuer's metadata", answer)
        document = answer.json()
        stated = (str(document["issuer"]), str(document["token_endpoint"]))
    except requests.RequestException as exc:
        return _unreachable("MCP discovery's", url, exc)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return Finding(False, f"MCP: {url} answered something other than its metadata", redeploy)
    if stated != outputs:
        return Finding(
            False,
            f"MCP: the issuer's metadata states issuer {stated[0]} and token URL {stated[1]}, "
            f"the outputs {outputs[0]} and {outputs[1]}",
            differs,
        )
    return Finding(
        True, f"MCP discovery: /mcp's 401 -> its metadata -> {url}: issuer and token URL as the outputs"
    )


def secret_findings(secret_string: str) -> list[Finding]:
    """The secret's keys and values as the functions will read them; no value is ever shown."""
    from gpt_auth.runtime.app_secret import OPTIONAL_SECRET_KEYS, SECRET_KEYS, environment_from
    from gpt_auth.runtime.errors import ConfigError
    from gpt_auth.runtime.settings import load_settings

    fix = "put the real value into the secret (Secrets Manager console, or make deploy with the parameters)"
    try:
        values = json.loads(secret_string)
    except ValueError:
        return [Finding(False, "secret: not valid JSON", fix)]
    if not isinstance(values, dict):
        return [Finding(False, "secret: not a JSON object of settings", fix)]
    keys = (*SECRET_KEYS, *OPTIONAL_SECRET_KEYS)
    missing = [key for key in keys if not str(values.get(key) or "").strip()]
    if missing:
        return [Finding(False, f"secret: {', '.join(missing)} missing or empty", fix)]
    placeholders = [key for key in keys if _PLACEHOLDER.fullmatch(str(values[key]).strip())]
    if placeholders:
        verb = "holds" if len(placeholders) == 1 else "hold"
        return [Finding(False, f"secret: {', '.join(placeholders)} still {verb} a placeholder", fix)]
    try:
        load_settings(environment_from({}, secret_string))
    except ConfigError as exc:
        return [Finding(False, f"secret: {exc}", fix)]
    return [Finding(True, f"secret: holds {', '.join(keys)}, no placeholder, and the settings accept them")]


def read_secret(arn: str) -> tuple[str | None, str]:
    """The secret's JSON text read with boto3 and your credentials, or None and why not."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client = boto3.client("secretsmanager", region_name=arn.split(":")[3])
        return str(client.get_secret_value(SecretId=arn)["SecretString"]), ""
    except ClientError as exc:
        return None, f"with your credentials ({exc.response.get('Error', {}).get('Code', 'error')})"
    except (BotoCoreError, IndexError) as exc:
        return None, f"({type(exc).__name__})"


def check_secret(target: Target) -> list[Finding]:
    if target.local:
        return [Finding(True, "secret: none locally (make dev's settings come from the environment)")]
    if not target.secret_arn:
        return [
            Finding(None, "secret: the stack names none (output AppSecretArn)", "check the stack's outputs")
        ]
    secret_string, why_not = read_secret(target.secret_arn)
    if secret_string is None:
        by_hand = (
            "Secrets Manager console > the secret AppSecretArn: check that every key holds its real value"
        )
        return [Finding(None, f"secret: cannot be read {why_not}", by_hand)]
    return secret_findings(secret_string)


def check_manifest(target: Target, text: str | None, source: str) -> Finding:
    fix = "make manifest, then paste manifest.json into the GPT editor's Schema again"
    if text is None:
        return Finding(False, f"manifest: {source} cannot be read", fix)
    problems = manifest_problems(text, local=target.local, expected=target.urls)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return Finding(False, f"manifest: {source}: {problems[0]}{more}", fix)
    return Finding(True, f"manifest: {source} points at this stack's URLs")


def _unreachable(name: str, url: str, exc: Exception) -> Finding:
    return Finding(
        False,
        f"{name} {url} does not answer ({type(exc).__name__})",
        "check the URL against the stack's outputs (make outputs); a new stack's host can take minutes",
    )


def run_checks(
    target: Target,
    *,
    callback: str | None = None,
    manifest_text: str | None = None,
    manifest_source: str = "manifest.json",
    session: requests.Session | None = None,
) -> list[Finding]:
    """Every check, in the order a sign-in meets them."""
    http = session or requests.Session()

    def get(url: str) -> requests.Response:
        return http.get(url, allow_redirects=False, timeout=TIMEOUT)

    def post(url: str, **kwargs: Any) -> requests.Response:
        return http.post(url, allow_redirects=False, timeout=TIMEOUT, **kwargs)

    urls = {
        "the authorization URL": target.urls.authorization,
        "the token URL": target.urls.token,
        "the action URL": target.urls.action,
        "the privacy page": target.privacy_url,
        "the Google redirect URI": target.google_redirect_uri,
    }
    findings = [f for name, url in urls.items() if (f := _https_problem(name, url, local=target.local))]
    if findings:
        return findings
    authorize, google_url = check_authorize(target, callback, get)
    findings += authorize
    if google_url:
        findings.append(check_google(google_url, target.google_redirect_uri, get))
    findings.append(check_token(target, post))
    findings += check_action(target, post)
    findings.append(check_mcp_discovery(target, get, post))
    findings.append(check_privacy(target, get))
    findings += check_secret(target)
    findings.append(check_manifest(target, manifest_text, manifest_source))
    return findings


def stack_target(stack: str | None, region: str | None, gpt_client_id: str | None) -> Target:
    """The target from the deployed stack's outputs (``StackError`` when they cannot be read)."""
    outputs = read_outputs(stack, region)
    urls = ActionUrls.from_stack_outputs(outputs)
    output_id = outputs.get("GptClientId", "")
    if not gpt_client_id and " " in output_id and outputs.get("AppSecretArn"):  # an existing secret's
        secret_string, _ = read_secret(outputs["AppSecretArn"])
        gpt_client_id = _json_member(secret_string, "GPT_CLIENT_ID")
    return Target(
        urls=urls,
        privacy_url=outputs.get("PrivacyPolicyUrl") or f"{urls.authorization.rstrip('/')}/privacy",
        google_redirect_uri=outputs.get("GoogleRedirectUri", ""),
        gpt_client_id=gpt_client_id or ("" if " " in output_id else output_id),
        label=f"stack {stack or 'from samconfig.toml'}, {urls.authorization}",
        secret_arn=outputs.get("AppSecretArn"),
    )


def _json_member(text: str | None, name: str) -> str | None:
    try:
        value = json.loads(text or "").get(name)
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def local_target(base: str, gpt_client_id: str | None) -> Target:
    """``make dev``'s URLs under ``base`` (its client id unless ``GPT_CLIENT_ID`` says otherwise)."""
    from localdev.dev import LOCAL_GPT_CLIENT_ID, LocalUrls

    local = LocalUrls(base.rstrip("/"))
    return Target(
        urls=ActionUrls.local(local.base),
        privacy_url=f"{local.authorization}privacy",
        google_redirect_uri=local.google_redirect,
        gpt_client_id=gpt_client_id or LOCAL_GPT_CLIENT_ID,
        label=f"make dev at {local.base}",
        local=True,
    )


def _read_manifest(path: str, http: requests.Session) -> str | None:
    try:
        if path.startswith(("http://", "https://")):
            response = http.get(path, timeout=TIMEOUT)
            return response.text if response.status_code == 200 else None
        return Path(path).read_text()
    except (OSError, requests.RequestException):
        return None


def report(findings: list[Finding], label: str) -> tuple[str, int]:
    """The printed report and the exit status."""
    failed = sum(1 for f in findings if f.ok is False)
    by_hand = sum(1 for f in findings if f.ok is None)
    verdict = (
        f"{failed} problem(s): fix each, then run make doctor again."
        if failed
        else "No problem found" + (f"; {by_hand} thing(s) to check by hand." if by_hand else ".")
    )
    lines = [f"make doctor: {label}", *(f.render() for f in findings), verdict]
    return "\n".join(lines), 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make doctor", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", help="stack name (default: samconfig.toml)")
    parser.add_argument("--region", help="AWS region (default: samconfig.toml, then AWS_DEFAULT_REGION)")
    parser.add_argument(
        "--local", nargs="?", const="http://127.0.0.1:3000", metavar="BASE", help="check make dev instead"
    )
    parser.add_argument("--callback", help="your GPT's callback URL, as the GPT editor shows it")
    parser.add_argument("--gpt-client-id", help="the GPT's client id (default: the stack's output)")
    parser.add_argument(
        "--manifest", help="the schema to check (default: manifest.json; locally, the served one)"
    )
    args = parser.parse_args(argv)
    http = requests.Session()
    try:
        if args.local:
            target = local_target(args.local, args.gpt_client_id)
        else:
            target = stack_target(args.stack, args.region, args.gpt_client_id)
    except StackError as exc:
        print(f"make doctor: {exc}", file=sys.stderr)
        print(
            "With make: make doctor STACK=<stack> REGION=<region>; for make dev: make doctor LOCAL=<its URL>",
            file=sys.stderr,
        )
        return 1
    served = f"{str(args.local).rstrip('/')}/simulator/manifest.json"
    source = args.manifest or (served if target.local else str(MANIFEST_PATH))
    findings = run_checks(
        target,
        callback=args.callback,
        manifest_text=_read_manifest(source, http),
        manifest_source=source if args.manifest or target.local else MANIFEST_PATH.name,
        session=http,
    )
    text, status = report(findings, target.label)
    print(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
