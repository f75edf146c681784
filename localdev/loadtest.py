"""``make loadtest``: a bounded load test of ``make dev``'s server, on loopback only.

It starts nx-27017 (a MongoDB wire-protocol server) and ``make dev``'s server on free loopback
ports, signs in ``--users`` simulated ChatGPT users (a code issued in the store and redeemed at
the token URL), then for ``--duration`` seconds, and at most ``--requests`` requests, each user
calls the action and now and then (``--refresh-share``) rotates its refresh token, one request
at a time, as a GPT does. It prints throughput, p50/p99 latency and the error count, then audits
every session against the rotation rule: its family is live, the newest refresh token it was
given works, and then its first one, retired many rotations ago, revokes the family. The exit
status is 1 on any error or lost session. It writes the run's table into ``--doc``
(docs/performance.md) between its loadtest markers.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from localdev.dev import LOCAL_TOKEN_HASH_KEYS
from localdev.doc_block import write_block
from localdev.lambda_env import ACTION, TOKEN
from localdev.nx_server import NxServer, free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID = "loadtest-gpt"
CLIENT_SECRET = "loadtest-secret-" + "0" * 16
GPT_CALLBACK = "https://chatgpt.com/aip/g-LoadTest/oauth/callback"
TIMEOUT = 30  # seconds per request: far past the 15 s function timeout, so a hang shows as an error
DOC = ROOT / "docs" / "performance.md"
DOC_BLOCK = "loadtest"  # its table goes between <!-- loadtest:begin --> and <!-- loadtest:end -->
KINDS = ("action", "refresh", "all")
# Each user refreshes hundreds of times a minute, far past a GPT's hourly refresh and its bound.
ROTATIONS_PER_HOUR = 10_000_000


@dataclass
class User:
    """One simulated GPT user: its current tokens and every refresh token it was given, in order."""

    name: str
    access_token: str
    refresh_token: str
    family_id: str = ""
    issued_refresh_tokens: list[str] = field(default_factory=list)
    session: requests.Session = field(default_factory=requests.Session)


@dataclass
class Sample:
    kind: str
    status: int  # 0: no answer (connection error or timeout)
    seconds: float


@contextmanager
def dev_server(store_uri: str, database: str) -> Iterator[str]:
    """``make dev``'s server (``python -m localdev.dev``) on a free port; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "ENV_FILE": os.devnull,  # a developer's .env must not change the run
        "MONGODB_URI": store_uri,
        "MONGODB_DATABASE": database,
        "GPT_CLIENT_ID": CLIENT_ID,
        "GPT_CLIENT_SECRET": CLIENT_SECRET,
        "POWERTOOLS_LOG_LEVEL": "WARNING",  # one line per request would cost more than the request
        "REFRESH_ROTATIONS_PER_HOUR": str(ROTATIONS_PER_HOUR),
        "TOKEN_HASH_KEYS": LOCAL_TOKEN_HASH_KEYS,
    }
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "localdev.dev"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_for_port(port, timeout=60)
            yield f"http://127.0.0.1:{port}"
        except TimeoutError:
            log.seek(0)
            raise SystemExit(
                "make dev's server did not start:\n" + log.read().decode(errors="replace")
            ) from None
        finally:
            process.terminate()
            process.wait(timeout=30)


def use_store(store_uri: str, database: str) -> None:
    """Point this process's gpt_auth at the same store as the server (to issue codes and audit)."""
    os.environ.update(
        MONGODB_URI=store_uri,
        MONGODB_DATABASE=database,
        GPT_CLIENT_ID=CLIENT_ID,
        GPT_CLIENT_SECRET=CLIENT_SECRET,
        GOOGLE_CLIENT_ID="unused-by-the-load-test",
        GOOGLE_CLIENT_SECRET="unused-by-the-load-test",
        TOKEN_HASH_KEYS=LOCAL_TOKEN_HASH_KEYS,  # make dev's server's, so the codes issued here redeem there
    )
    from gpt_auth.runtime import db, settings

    settings.reset()
    db.reset()


def token_call(base: str, user_session: requests.Session, form: dict[str, str]) -> requests.Response:
    return user_session.post(
        f"{base}/{TOKEN}/",
        data=form,
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=TIMEOUT,
    )


def sign_in(base: str, name: str) -> User:
    """A user signed in: a code issued to it, redeemed at the token URL like ChatGPT does."""
    from gpt_auth.oauth import codes

    code = codes.issue_code(client_id=CLIENT_ID, redirect_uri=GPT_CALLBACK, user_id=name, scope="")
    session = requests.Session()
    answer = token_call(
        base, session, {"grant_type": "authorization_code", "code": code, "redirect_uri": GPT_CALLBACK}
    )
    answer.raise_for_status()
    tokens = answer.json()
    user = User(name, tokens["access_token"], tokens["refresh_token"], session=session)
    user.issued_refresh_tokens.append(user.refresh_token)
    return user


class Run:
    """The shared budget of one run: a request count and a deadline, and every sample taken."""

    def __init__(self, requests_cap: int, duration: float) -> None:
        self.remaining = requests_cap
        self.deadline = time.monotonic() + duration
        self.samples: list[Sample] = []
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.remaining <= 0 or time.monotonic() >= self.deadline:
                return False
            self.remaining -= 1
            return True

    def record(self, sample: Sample) -> None:
        with self._lock:
            self.samples.append(sample)


def timed(run: Run, kind: str, call: Any) -> requests.Response | None:
    started = time.perf_counter()
    try:
        response: requests.Response | None = call()
    except requests.RequestException:
        response = None
    run.record(
        Sample(kind, response.status_code if response is not None else 0, time.perf_counter() - started)
    )
    return response


def drive(base: str, user: User, run: Run, refresh_share: float, seed: int) -> None:
    """One user's requests, one at a time, until the run's budget is spent."""
    rng = random.Random(seed)  # noqa: S311  (the workload's mix, not a secret)
    while run.take():
        if rng.random() < refresh_share:
            form = {"grant_type": "refresh_token", "refresh_token": user.refresh_token}
            answer = timed(run, "refresh", lambda form=form: token_call(base, user.session, form))
            if answer is not None and answer.status_code == 200:
                tokens = answer.json()
                user.access_token, user.refresh_token = tokens["access_token"], tokens["refresh_token"]
                user.issued_refresh_tokens.append(user.refresh_token)
        else:
            timed(
                run,
                "action",
                lambda: user.session.post(
                    f"{base}/{ACTION}/",
                    json={"name": user.name},
                    headers={"Authorization": f"Bearer {user.access_token}"},
                    timeout=TIMEOUT,
                ),
            )


def audit(base: str, users: list[User]) -> list[str]:
    """Every session against what the rotation rule promises; one line per lost session.

    Its family is live; the newest refresh token the user was given rotates and the access token
    that gives works; then the first one it was given (retired many rotations ago) is refused and
    revokes the family. The audit ends every session it checks.
    """
    from gpt_auth.oauth import sessions
    from gpt_auth.runtime import db

    problems = []
    for user in users:
        found = sessions.session_for_access_token(user.access_token)
        family = db.collection(sessions.COLLECTION).find_one({"_id": found["_id"]}) if found else None
        if family is None or family.get("revoked_at") is not None:
            problems.append(f"{user.name}: the session is gone or revoked")
            continue
        form = {"grant_type": "refresh_token", "refresh_token": user.refresh_token}
        answer = token_call(base, user.session, form)
        if answer.status_code != 200:
            problems.append(f"{user.name}: its newest refresh token was refused ({answer.status_code})")
            continue
        hello = user.session.post(
            f"{base}/{ACTION}/",
            json={"name": user.name},
            headers={"Authorization": f"Bearer {answer.json()['access_token']}"},
            timeout=TIMEOUT,
        )
        if hello.status_code != 200:
            problems.append(f"{user.name}: the refreshed access token was refused ({hello.status_code})")
            continue
        first = user.issued_refresh_tokens[0]
        if first == user.refresh_token:
            continue  # never rotated before the audit: its first token is still inside its window
        retired = token_call(base, user.session, {"grant_type": "refresh_token", "refresh_token": first})
        family = db.collection(sessions.COLLECTION).find_one({"_id": family["_id"]}, {"revoked_at": 1})
        if retired.status_code != 400 or family is None or family.get("revoked_at") is None:
            problems.append(f"{user.name}: its first refresh token, retired, did not revoke the family")
    return problems


def percentile(values: list[float], share: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


@dataclass
class Row:
    """One line of the results: a kind of request (or all of them) and how it went."""

    kind: str
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float


def rows(run: Run) -> list[Row]:
    """The action calls, the refreshes, and all requests: counts, errors and latency."""
    result = []
    for kind in KINDS:
        samples = [s for s in run.samples if kind in ("all", s.kind)]
        millis = [s.seconds * 1000 for s in samples]
        failed = sum(s.status != 200 for s in samples)
        result.append(Row(kind, len(samples), failed, percentile(millis, 0.5), percentile(millis, 0.99)))
    return result


def report(run: Run, elapsed: float, users: int) -> tuple[str, int]:
    """The table to print, and the error count."""
    lines = [f"{'kind':<8} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p99 ms':>7}"]
    table = rows(run)
    for row in table:
        lines.append(f"{row.kind:<8} {row.requests:>8} {row.errors:>6} {row.p50_ms:>7.1f} {row.p99_ms:>7.1f}")
    total = len(run.samples)
    lines.append(f"{total} requests from {users} users in {elapsed:.1f} s: {total / elapsed:.0f} requests/s")
    return "\n".join(lines), sum(row.errors for row in table if row.kind != "all")


def doc_table(run: Run, elapsed: float, args: argparse.Namespace, problems: list[str], rotations: int) -> str:
    """The run as docs/performance.md shows it: its settings, the table, and the audit."""
    rate = len(run.samples) / elapsed
    lines = [
        f"Last run: {args.users} users for {elapsed:.0f} s (at most {args.duration:g} s and "
        f"{args.requests:,} requests), {1 - args.refresh_share:.0%} action calls and "
        f"{args.refresh_share:.0%} refreshes, on {os.cpu_count()} cores",
        "",
        "| kind | requests | errors | p50 | p99 |",
        "|---|---|---|---|---|",
    ]
    for row in rows(run):
        count = f"{row.requests:,} ({rate:.0f}/s)" if row.kind == "all" else f"{row.requests:,}"
        lines.append(f"| {row.kind} | {count} | {row.errors:,} | {row.p50_ms:.1f} ms | {row.p99_ms:.1f} ms |")
    lines += [
        "",
        f"Sessions: {len(problems)} of {args.users} lost; {rotations:,} refresh-token rotations.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make loadtest", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20, help="simulated GPT users (default 20)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load at most (default 60)")
    parser.add_argument("--requests", type=int, default=50_000, help="requests at most (default 50000)")
    parser.add_argument("--refresh-share", type=float, default=0.2, help="share of refreshes (default 0.2)")
    parser.add_argument("--doc", type=Path, default=DOC, help="the document holding the loadtest markers")
    args = parser.parse_args(argv)
    if not (0 < args.users <= 500 and 0 < args.duration <= 600 and 0 < args.requests <= 1_000_000):
        parser.error("keep it bounded: 1-500 users, at most 600 s and 1,000,000 requests")
    with NxServer() as store, dev_server(store.uri, "loadtest") as base:
        use_store(store.uri, "loadtest")
        print(f"make dev's server at {base}, session store nx-27017 at {store.uri}", flush=True)
        users = [sign_in(base, f"user-{index:03d}") for index in range(args.users)]
        print(
            f"{args.users} users signed in; load for {args.duration:g} s or {args.requests} requests...",
            flush=True,
        )
        run = Run(args.requests, args.duration)
        started = time.monotonic()
        threads = [
            threading.Thread(target=drive, args=(base, user, run, args.refresh_share, index))
            for index, user in enumerate(users)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        table, errors = report(run, elapsed, args.users)
        print(table)
        problems = audit(base, users)
    rotations = sum(len(user.issued_refresh_tokens) - 1 for user in users)
    print(
        f"sessions: {len(users)} audited, {len(problems)} lost; {rotations} rotations; in each the "
        "newest refresh token worked and the first, retired, revoked the family"
        if not problems
        else "\n".join(["sessions lost:", *problems])
    )
    write_block(args.doc, DOC_BLOCK, doc_table(run, elapsed, args, problems, rotations))
    print(f"written: the table in {args.doc}")
    return 1 if errors or problems else 0


if __name__ == "__main__":
    sys.exit(main())
