"""``make revoke USER=<email or sub>`` / ``CLIENT=<GPT client id>``: sign users out of the GPT.

``USER`` is a verified e-mail address, a provider ``sub`` (at any issuer; one nobody recorded is
taken at the configured provider), or a whole user id ``<issuer>#<sub>``.

With ``USER``, the user's Google grant is also revoked at Google (RFC 7009, Google's revocation
endpoint) and deleted here, after our sessions are revoked, so signing out never waits on
Google. A grant past its ``expires_at`` is revoked too (its refresh token may still work at
Google); one that does not decrypt is deleted unrevoked. When Google cannot be reached, the grant
is kept (nothing can use it: the sessions are gone) and the command exits 4; running it again
retries. A provider without a revocation endpoint
(the local stand-in) gets its grant deleted here; for a stand-in on a loopback address the
command also drops the user's tokens there (``POST /users/<sub>/revoke-tokens``).

Works on the store the settings name (environment, then ``.env``): ``MONGODB_URI``, or the
deployed secret through ``APP_SECRET_ARN``, read here with boto3 and your AWS credentials (no
Parameters and Secrets extension runs outside Lambda). The embedded store lives only inside the
process that runs it, so it is refused here.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from urllib.parse import quote, urlsplit

from pymongo.errors import PyMongoError

from gpt_auth.google import google_tokens, provider
from gpt_auth.oauth import revocation, users
from gpt_auth.runtime import app_secret, db, settings
from gpt_auth.runtime.errors import ConfigError, UpstreamError
from gpt_auth.runtime.settings import get_settings
from localdev.env_file import load_env_file


def _store_label() -> str:
    """Database and host of the store, never its credentials."""
    config = get_settings()
    host = urlsplit(config.mongodb_uri.split(",")[0]).hostname or "?"
    return f"database {config.mongodb_database!r} on {host}"


def use_deployed_secret() -> None:
    """Put the values of the secret that ``APP_SECRET_ARN`` names into the environment, read with boto3.

    Raises
    ------
    ConfigError
        When the secret cannot be read with these credentials, or lacks a key.
    """
    arn = os.environ.pop("APP_SECRET_ARN", "").strip()
    if not arn:
        return
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    region = arn.split(":")[3] if arn.startswith("arn:") else None
    try:
        client = boto3.session.Session().client("secretsmanager", region_name=region)
        value = client.get_secret_value(SecretId=arn)
    except (BotoCoreError, ClientError) as exc:
        raise ConfigError(
            f"The secret APP_SECRET_ARN names could not be read with your AWS credentials: {exc}"
        ) from None
    os.environ.update(app_secret.environment_from(os.environ, value.get("SecretString") or ""))
    settings.reset()


def run(user: str | None, client: str | None) -> tuple[int, str]:
    """Revoke and describe what was done; returns (exit status, message)."""
    user_ids, parts = None, []
    if user is not None:
        user_ids = revocation.user_ids_for(user)
        if not user_ids:
            return 1, f"No user with e-mail {user!r} in {_store_label()}; nothing revoked."
        recorded = db.collection(users.COLLECTION).count_documents({"_id": {"$in": user_ids}})
        ids = ", ".join(user_ids)
        parts.append(
            f"user {user} (user id {ids})" if recorded else f"{user} (user id {ids}; no such user recorded)"
        )
    if client:
        parts.append(f"GPT client {client}")
    result = revocation.revoke(user_ids=user_ids, client_id=client)
    message = (
        f"Revoked {result.sessions} session(s) and voided {result.codes} unredeemed code(s) of "
        f"{' and '.join(parts)} in {_store_label()}."
    )
    if user_ids is None:
        return 0, message
    status, google = disconnect_google(user_ids)
    return status, f"{message}\n{google}"


def disconnect_google(user_ids: list[str]) -> tuple[int, str]:
    """Revoke each user's Google grant at the provider and delete it; (exit status, what was done)."""
    done: dict[str, list[str]] = {"revoked": [], "none": [], "unsupported": [], "undecryptable": []}
    failed: list[str] = []
    for user_id in user_ids:
        try:
            outcome = google_tokens.revoke_at_google(user_id)
        except (UpstreamError, ConfigError) as exc:
            failed.append(f"  {user_id}: {exc}")
            continue
        if outcome == "unsupported":
            _revoke_at_stand_in(user_id)
        done[outcome].append(user_id)
    name = provider.current().name
    lines = []
    if done["revoked"]:
        lines.append(
            f"Revoked the Google grant of {', '.join(done['revoked'])} at {name} and deleted it here."
        )
    if done["unsupported"]:
        lines.append(
            f"{name} announces no revocation endpoint: deleted the grant of {', '.join(done['unsupported'])} "
            "here only."
        )
    if done["undecryptable"]:
        lines.append(
            f"The Google grant of {', '.join(done['undecryptable'])} does not decrypt: "
            "deleted here, not revoked at Google; the user can remove access at "
            "https://myaccount.google.com/connections."
        )
    if done["none"]:
        lines.append(f"No Google grant stored for {', '.join(done['none'])}.")
    if failed:
        lines += [
            f"Could not revoke at {name}; those grants are kept (their sessions are revoked, so nothing "
            "uses them). Run make revoke again to retry:",
            *failed,
        ]
    return (4 if failed else 0), "\n".join(lines)


def _revoke_at_stand_in(user_id: str) -> None:
    """On the local stand-in (no revocation endpoint), drop the user's tokens as Google would."""
    import requests

    idp = provider.current()
    if urlsplit(idp.issuer).hostname not in ("127.0.0.1", "localhost", "::1"):
        return
    user = db.collection(users.COLLECTION).find_one({"_id": user_id}, {"sub": 1})
    sub = str(user["sub"]) if user and user.get("sub") else user_id.partition("#")[2] or user_id
    # The grant is deleted here already; a stand-in that has stopped keeps nothing anyway.
    with contextlib.suppress(requests.RequestException):
        requests.post(f"{idp.issuer}/users/{quote(sub, safe='')}/revoke-tokens", timeout=provider.TIMEOUT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make revoke", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--user", help="a verified e-mail address, a provider sub, or a user id <issuer>#<sub>"
    )
    parser.add_argument("--client", help="a GPT client id: revoke every session issued to it")
    args = parser.parse_args(argv)
    if not (args.user or args.client):
        parser.error("name a user (make revoke USER=<email or sub>) or a client (CLIENT=<GPT client id>)")
    load_env_file()
    try:
        use_deployed_secret()
        if get_settings().embedded_store:
            print(
                "error: MONGODB_URI is not set, so this would revoke in an empty embedded store of its own. "
                "Set MONGODB_URI, or APP_SECRET_ARN (the stack output AppSecretArn), in the environment "
                "or .env.",
                file=sys.stderr,
            )
            return 2
        status, message = run(args.user, args.client)
        if status == 4:
            print(message, file=sys.stderr)
            return status
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PyMongoError as exc:
        print(f"error: the store did not answer ({type(exc).__name__}): {exc}", file=sys.stderr)
        return 3
    print(message, file=sys.stderr if status else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main())
