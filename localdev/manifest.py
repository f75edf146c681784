"""The GPT action schema (``manifest.json``): build it from the three function URLs, validate it.

Every operation comes from the declared actions (``gpt_auth.actions.catalog``). The schema is
OpenAPI 3.1 and is also checked against what the GPT editor needs: https servers
(http only on loopback in local mode), operation ids present, unique and function-name shaped,
an oauth2 ``authorizationCode`` scheme whose URLs are the deployed functions and that covers
every operation, and a small size, since the GPT reads the whole schema on every turn.

Command line (``make manifest`` wraps ``write``)::

    python -m localdev.manifest write [--stack NAME] [--region REGION] [--output manifest.json]
    python -m localdev.manifest write --authorization-url U --token-url U --action-url U
    python -m localdev.manifest write --placeholder
    python -m localdev.manifest check [manifest.json] [--local] [--stack NAME | --...-url U ...]
    python -m localdev.manifest local [--base-url http://127.0.0.1:3000]

``write`` also writes ``gpt-instructions.md`` and prints how much of each budget is used.
``--placeholder`` writes the committed manifest, whose URLs name ``make manifest`` as the fix.
Without URLs, ``write`` reads the stack's outputs; the stack name and region default to what
``make deploy`` saved in ``samconfig.toml``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gpt_auth.actions.catalog import ACTIONS
from gpt_auth.actions.declaration import Action, statuses_of
from gpt_auth.actions.inputs import json_schema
from localdev.doc_block import write_block
from localdev.gpt_instructions import (
    INSTRUCTIONS_PATH,
    MAX_INSTRUCTIONS_CHARS,
    instructions_problems,
    render_instructions,
)
from localdev.lambda_env import ACTION, AUTHORIZATION, TOKEN

ROOT = Path(__file__).resolve().parent.parent
MANIFEST_PATH = ROOT / "manifest.json"
REFERENCE_PATH = ROOT / "docs" / "reference.md"
ROUTE_TABLE_BLOCK = "actions"
# The manifest budget (manifest_size): the GPT reads the whole schema on every turn.
MAX_MANIFEST_CHARS = 10_000
# The GPT editor refuses longer operation summaries and descriptions.
MAX_OPERATION_TEXT = 300
OPERATION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SCHEME_NAME = "googleSignIn"
# The mount points of the local Function URL emulator (docs/local-development.md), by role.
LOCAL_MOUNTS = {"authorization": AUTHORIZATION, "token": TOKEN, "action": ACTION}
# The stack outputs (template.yaml) that hold the three URLs, in ActionUrls' order.
URL_OUTPUTS = ("AuthorizationUrl", "TokenUrl", "ActionUrl")
# The sign-in's own scopes, with what each is for; the actions' Google scopes follow (scopes()).
SIGN_IN_SCOPES = {"openid": "Sign you in", "email": "Your email address", "profile": "Your name"}
TITLE = "Actions with Google sign-in"
ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
# Reserved top-level domain (RFC 2606): these never resolve, so a placeholder can't be mistaken.
PLACEHOLDER_DOMAIN = "run-make-manifest.invalid"


class ManifestError(ValueError):
    """A manifest that the GPT editor would refuse or that does not match the deployment."""

    def __init__(self, problems: list[str], source: str = "the manifest") -> None:
        self.problems = problems
        super().__init__(
            f"{source} is not a valid GPT action schema:\n" + "\n".join(f"  - {p}" for p in problems)
        )


@dataclass(frozen=True)
class ActionUrls:
    """The three function URLs a manifest points at (CloudFormation outputs of the stack)."""

    authorization: str
    token: str
    action: str

    @classmethod
    def from_stack_outputs(cls, outputs: Mapping[str, str]) -> ActionUrls:
        """From the stack outputs ``AuthorizationUrl``, ``TokenUrl`` and ``ActionUrl``."""
        return cls(*(outputs[key] for key in URL_OUTPUTS))

    @classmethod
    def local(cls, base_url: str) -> ActionUrls:
        """The URLs of the functions under the local emulator at ``base_url``."""
        base = base_url.rstrip("/")
        return cls(**{role: f"{base}/{mount}/" for role, mount in LOCAL_MOUNTS.items()})


PLACEHOLDER_URLS = ActionUrls.local(f"https://{PLACEHOLDER_DOMAIN}")


def scopes() -> dict[str, str]:
    """The scopes the GPT asks for at sign-in, each with what it is for: the sign-in's, then each
    action's Google scopes (so a GPT that types them all can call every action)."""
    users: dict[str, list[str]] = {}
    for action in ACTIONS:
        for scope in action.google_scopes:
            users.setdefault(scope, []).append(action.operation_id)
    return {**SIGN_IN_SCOPES, **{scope: "Used by " + ", ".join(ops) for scope, ops in users.items()}}


def _schema(kind: type) -> dict[str, Any]:
    """A declared type's JSON Schema as the manifest holds it (no titles: the GPT reads every character)."""
    schema = dict(json_schema(kind))
    schema.pop("title", None)
    return schema


def _parameters(query: type) -> list[dict[str, Any]]:
    schema = json_schema(query)
    required = set(schema.get("required", ()))
    parameters = []
    for name, field in schema.get("properties", {}).items():
        field = dict(field)
        description = field.pop("description", None)
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": name in required,
                **({"description": description} if description else {}),
                "schema": field,
            }
        )
    return parameters


def _operation(action: Action) -> dict[str, Any]:
    """One declared action as an OpenAPI operation; its schemas go to ``components`` by type name."""
    operation: dict[str, Any] = {
        "operationId": action.operation_id,
        "summary": action.summary,
        "description": action.description,
    }
    if action.query is not None:
        operation["parameters"] = _parameters(action.query)
    if action.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{action.body.__name__}"}}
            },
        }
    if action.returns is str:
        answer = {"text/plain": {"schema": {"type": "string"}}}
    else:
        answer = {"application/json": {"schema": {"$ref": f"#/components/schemas/{action.returns.__name__}"}}}
    responses: dict[str, Any] = {"200": {"description": "The answer.", "content": answer}}
    for status, meaning in statuses_of(action).items():
        responses[str(status)] = {"description": meaning}
        if status not in (401, 403):  # those two are told by their status alone
            responses[str(status)]["content"] = ERROR_CONTENT
    operation["responses"] = responses
    return operation


def build_manifest(urls: ActionUrls) -> dict[str, Any]:
    """The action schema: every declared action (``gpt_auth.actions.catalog``) on the action URL,
    behind Google sign-in."""
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for action in ACTIONS:
        paths.setdefault(action.path, {})[action.method.lower()] = _operation(action)
        for kind in (action.body, action.returns):
            if kind is not None and kind is not str:
                schemas[kind.__name__] = _schema(kind)
    schemas["Error"] = {
        "type": "object",
        "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
    }
    granted = scopes()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "description": "Once the user signs in with Google: "
            + "; ".join(a.summary for a in ACTIONS)
            + ".",
            "version": "1.0.0",
        },
        "servers": [{"url": urls.action.rstrip("/")}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                SCHEME_NAME: {
                    "type": "oauth2",
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": urls.authorization,
                            "tokenUrl": urls.token,
                            "scopes": granted,
                        }
                    },
                }
            },
        },
        "security": [{SCHEME_NAME: list(granted)}],
    }


def manifest_size(manifest: Mapping[str, Any]) -> int:
    """What the manifest budget counts: the schema's characters without the indentation
    (``manifest.json`` is indented for people; the GPT reads the content)."""
    return len(json.dumps(manifest, ensure_ascii=False, separators=(",", ":")))


def render(manifest: Mapping[str, Any]) -> str:
    """The manifest as written to ``manifest.json``: 2-space JSON with a final newline."""
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def _same_url(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def _url_problem(what: str, url: Any, *, local: bool) -> str | None:
    if not isinstance(url, str) or not url:
        return f"{what} is missing"
    parts = urlsplit(url)
    if parts.hostname == PLACEHOLDER_DOMAIN:
        return f"{what} is still the placeholder {url!r}: run `make manifest` (see docs/deploy.md)"
    if parts.scheme == "https" and parts.hostname:
        return None
    if local and parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return None
    allowed = "https:// (or http:// on 127.0.0.1 in local mode)" if local else "https://"
    return f"{what} must be an absolute {allowed} URL, got {url!r}"


def _operations(manifest: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    paths = manifest.get("paths")
    for path, item in paths.items() if isinstance(paths, Mapping) else ():
        if not isinstance(item, Mapping):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, Mapping):
                yield path, method, operation


def _openapi_problems(manifest: Mapping[str, Any]) -> list[str]:
    if manifest.get("openapi") != "3.1.0":
        return [f"openapi must be '3.1.0', got {manifest.get('openapi')!r}"]
    from openapi_spec_validator import OpenAPIV31SpecValidator

    problems = []
    for error in OpenAPIV31SpecValidator(manifest).iter_errors():
        where = "/".join(str(part) for part in getattr(error, "absolute_path", ())) or "(top level)"
        # The first line: with jsonschema-rs installed, messages carry the whole schema path after it.
        problems.append(f"OpenAPI 3.1: {where}: {error.message.splitlines()[0]}")
    return problems


def _security_problems(manifest: Mapping[str, Any], *, local: bool, expected: ActionUrls | None) -> list[str]:
    components = manifest.get("components")
    schemes = components.get("securitySchemes") if isinstance(components, Mapping) else None
    oauth = {
        name: scheme["flows"]["authorizationCode"]
        for name, scheme in (schemes.items() if isinstance(schemes, Mapping) else ())
        if isinstance(scheme, Mapping)
        and scheme.get("type") == "oauth2"
        and isinstance(scheme.get("flows"), Mapping)
        and isinstance(scheme["flows"].get("authorizationCode"), Mapping)
    }
    if len(oauth) != 1:
        found = "none" if not oauth else ", ".join(sorted(oauth))
        return [
            "components.securitySchemes must hold exactly one oauth2 scheme with an authorizationCode flow "
            f"(the GPT signs users in with it); found {found}"
        ]
    ((name, flow),) = oauth.items()
    problems = []
    for key, role in (("authorizationUrl", "authorization"), ("tokenUrl", "token")):
        where = f"securitySchemes.{name}.flows.authorizationCode.{key}"
        problem = _url_problem(where, flow.get(key), local=local)
        if problem:
            problems.append(problem)
        elif expected and not _same_url(flow[key], getattr(expected, role)):
            problems.append(
                f"{where} is {flow[key]!r} but the deployed function is {getattr(expected, role)!r}"
            )
    default = manifest.get("security")
    for path, method, operation in _operations(manifest):
        requirements = operation.get("security", default)
        names = {key for req in requirements or () if isinstance(req, Mapping) for key in req}
        if name not in names:
            problems.append(
                f"{method.upper()} {path} does not require the oauth2 scheme {name!r} (add security)"
            )
    return problems


def _server_problems(manifest: Mapping[str, Any], *, local: bool, expected: ActionUrls | None) -> list[str]:
    servers = manifest.get("servers")
    if not isinstance(servers, list) or len(servers) != 1 or not isinstance(servers[0], Mapping):
        return ["servers must hold exactly one server: the action's function URL"]
    url = servers[0].get("url")
    problem = _url_problem("servers[0].url", url, local=local)
    if problem:
        return [problem]
    if expected and not _same_url(str(url), expected.action):
        return [f"servers[0].url is {url!r} but the deployed action function is {expected.action!r}"]
    return []


def _operation_problems(manifest: Mapping[str, Any]) -> list[str]:
    problems = []
    seen: dict[str, str] = {}
    operations = list(_operations(manifest))
    if not operations:
        problems.append("paths holds no operation: the GPT would have no action to call")
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        op_id = operation.get("operationId")
        if not isinstance(op_id, str) or not op_id:
            problems.append(f"{where} has no operationId (the GPT calls actions by it)")
            continue
        if not OPERATION_ID.fullmatch(op_id):
            problems.append(f"{where}: operationId {op_id!r} must be 1-64 letters, digits, '_' or '-'")
        if op_id in seen:
            problems.append(
                f"{where}: operationId {op_id!r} is also used by {seen[op_id]}; they must be unique"
            )
        seen.setdefault(op_id, where)
        for key in ("summary", "description"):
            text = operation.get(key)
            if isinstance(text, str) and len(text) > MAX_OPERATION_TEXT:
                problems.append(
                    f"{where}: {key} is {len(text)} characters; the GPT editor allows {MAX_OPERATION_TEXT}"
                )
    return problems


def manifest_problems(
    manifest: Mapping[str, Any] | str, *, local: bool = False, expected: ActionUrls | None = None
) -> list[str]:
    """Everything wrong with a manifest, as sentences; empty when it is fit for the GPT editor.

    Parameters
    ----------
    manifest
        The schema, parsed or as the JSON text of ``manifest.json``.
    local
        Allow ``http://`` URLs on loopback (the ``make dev`` variant).
    expected
        The deployed function URLs the schema must point at, when known.
    """
    if isinstance(manifest, str):
        try:
            parsed = json.loads(manifest)
        except json.JSONDecodeError as exc:
            return [f"not valid JSON: {exc}"]
    else:
        parsed = manifest
    if not isinstance(parsed, Mapping):
        return ["the top level must be a JSON object"]
    problems = []
    size = manifest_size(parsed)
    if size > MAX_MANIFEST_CHARS:
        problems.append(
            f"it is {size:,} characters; keep it under {MAX_MANIFEST_CHARS:,}"
            " since the GPT reads it on every turn"
        )
    problems += _openapi_problems(parsed)
    problems += _server_problems(parsed, local=local, expected=expected)
    problems += _operation_problems(parsed)
    problems += _security_problems(parsed, local=local, expected=expected)
    return list(dict.fromkeys(problems))


def validate_manifest(
    manifest: Mapping[str, Any] | str,
    *,
    local: bool = False,
    expected: ActionUrls | None = None,
    source: str = "the manifest",
) -> None:
    """Raise :class:`ManifestError` listing every problem :func:`manifest_problems` finds."""
    problems = manifest_problems(manifest, local=local, expected=expected)
    if problems:
        raise ManifestError(problems, source)


def write_manifest(urls: ActionUrls, path: Path = MANIFEST_PATH, *, local: bool = False) -> str:
    """Build, validate, then write the manifest for ``urls``; nothing is written when invalid."""
    text = render(build_manifest(urls))
    validate_manifest(text, local=local, expected=urls, source=f"the manifest for {path.name}")
    path.write_text(text)
    return text


def write_placeholder(path: Path = MANIFEST_PATH) -> str:
    """The committed manifest: every declared action, on URLs that name ``make manifest`` as the fix."""
    manifest = build_manifest(PLACEHOLDER_URLS)
    problems = [p for p in manifest_problems(manifest) if "still the placeholder" not in p]
    if problems:
        raise ManifestError(problems, f"the placeholder {path.name}")
    text = render(manifest)
    path.write_text(text)
    return text


def write_instructions(path: Path = INSTRUCTIONS_PATH) -> str:
    """Write ``gpt-instructions.md`` from the declared actions; nothing is written over its budget."""
    text = render_instructions()
    problems = instructions_problems(text)
    if problems:
        raise ManifestError(problems, path.name)
    path.write_text(text)
    return text


def route_table() -> str:
    """The actions' route table of docs/reference.md (its ``actions`` block), from the declarations."""
    rows = [
        "| route | operationId | input | Google scopes | answers besides 200 |",
        "|---|---|---|---|---|",
    ]
    for action in ACTIONS:
        inputs = []
        for where, kind in (("query", action.query), ("body", action.body)):
            if kind is not None:
                names = ", ".join(f"`{name}`" for name in json_schema(kind).get("properties", {}))
                inputs.append(f"{where} {names}")
        statuses = "<br>".join(f"{status}: {meaning}" for status, meaning in statuses_of(action).items())
        scopes_needed = ", ".join(f"`{scope}`" for scope in action.google_scopes) or "none"
        rows.append(
            f"| `{action.method} {action.path}` | `{action.operation_id}` | {'; '.join(inputs) or 'none'} "
            f"| {scopes_needed} | {statuses} |"
        )
    return "\n".join(rows)


def write_route_table(doc: Path = REFERENCE_PATH) -> None:
    write_block(doc, ROUTE_TABLE_BLOCK, route_table())


def budgets(manifest: Mapping[str, Any], instructions: str) -> str:
    """How much of each budget the GPT's schema and instructions use, and what is left."""
    rows = (
        ("manifest.json", manifest_size(manifest), MAX_MANIFEST_CHARS),
        ("gpt-instructions.md", len(instructions), MAX_INSTRUCTIONS_CHARS),
    )
    return "\n".join(
        f"  {name:<20} {used:>6,} of {budget:,} characters ({budget - used:,} left)"
        for name, used, budget in rows
    )


class StackError(Exception):
    """The stack's outputs cannot be read; the message says why and what to do."""


def read_outputs(stack_name: str | None, region: str | None) -> dict[str, str]:
    """The deployed stack's CloudFormation outputs (the one AWS call of this module).

    Parameters
    ----------
    stack_name, region
        None means what ``make deploy`` saved in ``samconfig.toml`` (region: for that stack only;
        otherwise boto3's configuration decides).
    """
    from localdev import stack_outputs  # boto3 only on this path
    from localdev.stack_outputs import StackOutputsError, read_stack_outputs

    try:
        saved_stack, saved_region = stack_outputs.deploy_target(stack_outputs.SAMCONFIG)
        if stack_name in (None, saved_stack):
            stack_name, region = saved_stack, region or saved_region
        return read_stack_outputs(str(stack_name), region, required=URL_OUTPUTS)
    except StackOutputsError as exc:
        raise StackError(str(exc)) from None


def paste_table(urls: ActionUrls, outputs: Mapping[str, str] | None = None) -> str:
    """The GPT editor's OAuth fields, as printed after ``make manifest`` (docs/deploy.md, step 6)."""
    outputs = outputs or {}
    rows = [
        ("Client ID", outputs.get("GptClientId", "your GPT_CLIENT_ID")),
        ("Client Secret", "your GPT_CLIENT_SECRET"),
        ("Authorization URL", urls.authorization),
        ("Token URL", urls.token),
        ("Scope", outputs.get("GptScope", " ".join(scopes()))),
        ("Token Exchange Method", outputs.get("GptTokenExchangeMethod", "Default (POST request)")),
    ]
    return "\n".join(f"  {field:<22} {value}" for field, value in rows)


def _given_urls(args: argparse.Namespace) -> ActionUrls | None:
    given = [args.authorization_url, args.token_url, args.action_url]
    if not any(given):
        return None
    if not all(given):
        raise SystemExit("Give all three of --authorization-url, --token-url and --action-url.")
    if args.stack:
        raise SystemExit("Give either --stack or the three --...-url options, not both.")
    return ActionUrls(args.authorization_url, args.token_url, args.action_url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdev.manifest", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write", help="write manifest.json for the stack or three URLs, validated")
    check = commands.add_parser("check", help="validate an existing manifest")
    local = commands.add_parser("local", help="print the manifest for the local `make dev` system")
    for sub in (write, check):
        sub.add_argument("--stack", help="CloudFormation stack name (write: default from samconfig.toml)")
        sub.add_argument(
            "--region", help="AWS region of the stack (default: samconfig.toml, then AWS_DEFAULT_REGION)"
        )
        sub.add_argument("--authorization-url", help=f"{AUTHORIZATION}'s function URL")
        sub.add_argument("--token-url", help=f"{TOKEN}'s function URL")
        sub.add_argument("--action-url", help=f"{ACTION}'s function URL")
    write.add_argument("--output", type=Path, default=MANIFEST_PATH)
    write.add_argument(
        "--placeholder",
        action="store_true",
        help="write the committed manifest (placeholder URLs, no stack needed) and gpt-instructions.md",
    )
    check.add_argument("path", nargs="?", type=Path, default=MANIFEST_PATH)
    check.add_argument("--local", action="store_true", help="allow http:// on loopback")
    local.add_argument("--base-url", default="http://127.0.0.1:3000")
    args = parser.parse_args(argv)
    if args.command == "local":
        sys.stdout.write(render(build_manifest(ActionUrls.local(args.base_url))))
        return 0
    if args.command == "write" and args.placeholder:
        try:
            text = write_placeholder(args.output)
            instructions = write_instructions()
            write_route_table()
        except ManifestError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(
            f"Wrote {args.output} (placeholder URLs), {INSTRUCTIONS_PATH.name}"
            " and docs/reference.md's route table."
        )
        print("Budgets:")
        print(budgets(json.loads(text), instructions))
        return 0
    urls = _given_urls(args)
    outputs: dict[str, str] = {}
    try:
        if urls is None and (args.command == "write" or args.stack):
            outputs = read_outputs(args.stack, args.region)
            urls = ActionUrls.from_stack_outputs(outputs)
        if args.command == "check":
            validate_manifest(args.path.read_text(), local=args.local, expected=urls, source=str(args.path))
            print(f"{args.path} is a valid GPT action schema.")
            return 0
        assert urls is not None
        text = write_manifest(urls, args.output)
        instructions = write_instructions()
        write_route_table()
    except ManifestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(
            "With make: make manifest STACK=<stack> REGION=<region>, or give the URLs:"
            " make manifest AUTHORIZATION_URL=... TOKEN_URL=... ACTION_URL=...",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:
        print(f"error: cannot read or write the manifest: {exc}", file=sys.stderr)
        return 1
    print(
        f"Wrote {args.output} (valid). Paste it into the GPT editor as the action's Schema; Authentication:"
    )
    print(paste_table(urls, outputs))
    print(f"Instructions: paste {INSTRUCTIONS_PATH.name}. Budgets:")
    print(budgets(json.loads(text), instructions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
