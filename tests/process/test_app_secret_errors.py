"""A secret that cannot be read: fixed answers without ARN, account or role (those go to the log
only); throttling, Secrets Manager failing, a slow or starting extension answer 503 and are retried."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from functions.test_endpoint import app
from gpt_auth.runtime import app_secret, settings
from localdev.nx_server import free_port
from tests.support.secrets import SECRET

UNREADABLE = "The server is misconfigured: The settings secret cannot be read; see the function's log."
# An access token of the right shape, so the request reaches the settings (and the store).
EVENT = {
    "rawPath": "/",
    "requestContext": {"http": {"method": "POST"}},
    "headers": {"authorization": "Bearer gat_" + "A" * 43, "content-type": "application/json"},
    "body": '{"name": "Ada"}',
}


def answer(lambda_context) -> tuple[int, dict[str, str], dict[str, str]]:
    response = app.lambda_handler(EVENT, lambda_context)
    return response["statusCode"], response["headers"], json.loads(response["body"])


def assert_says_nothing_of_the_account(body: dict[str, str], arn: str) -> None:
    text = json.dumps(body)
    account = arn.split(":")[4]
    assert "arn:" not in text and account not in text and "role" not in text.lower()


def logged(read_logs) -> str:
    return json.dumps(read_logs())


def test_an_unknown_secret_answers_a_fixed_500_and_logs_the_arn(
    serve_secret, monkeypatch, lambda_context, read_logs, configure
):
    # GIVEN an ARN that names no secret
    served = serve_secret(SECRET)
    missing = served.arn[:-6] + "Zz9Zz9"
    configure(APP_SECRET_ARN=missing)
    # WHEN a request comes in
    status, _, body = answer(lambda_context)
    # THEN a 500 with the fixed text, the ARN and the AWS error in the log only
    assert (status, body["error"], body["error_description"]) == (500, "server_error", UNREADABLE)
    assert_says_nothing_of_the_account(body, missing)
    assert missing in logged(read_logs) and "ResourceNotFoundException" in logged(read_logs)


@pytest.mark.parametrize(
    "fault",
    [
        (400, "ThrottlingException: Rate exceeded"),
        (429, "Too Many Requests"),
        (500, "InternalServiceError: try again"),
        (502, "Secrets Manager did not answer: EndpointConnectionError"),
        (400, "not ready to serve traffic, please wait"),
    ],
    ids=["throttled", "429", "secrets-manager-5xx", "network", "extension-starting"],
)
def test_a_passing_failure_answers_503_with_retry_after_and_the_next_request_retries(
    serve_secret, lambda_context, read_logs, fault
):
    # GIVEN a secret whose first read fails in a way a retry can fix
    served = serve_secret(SECRET)
    served.extension.fault = fault
    # WHEN a request comes in
    status, headers, body = answer(lambda_context)
    # THEN 503 with Retry-After and a fixed text; the cause and the ARN in the log only
    assert (status, body["error"]) == (503, "temporarily_unavailable")
    assert body["error_description"] == app_secret.UNAVAILABLE
    assert headers["Retry-After"] == str(app_secret.RETRY_AFTER_SECONDS)
    assert_says_nothing_of_the_account(body, served.arn)
    assert served.arn in logged(read_logs) and str(fault[0]) in logged(read_logs)
    # AND once it passes, the next request reads the secret and is answered
    served.extension.fault = None
    assert answer(lambda_context)[0] == 401  # the token check, with the secret's settings
    assert settings.get_settings().gpt_client_id == SECRET["GPT_CLIENT_ID"]


def test_no_extension_on_the_port_answers_a_fixed_500_and_logs_what_to_add(
    serve_secret, monkeypatch, lambda_context, read_logs, configure
):
    # GIVEN the secret's ARN but no extension layer (nothing listens on the port)
    serve_secret(SECRET)
    configure(**{app_secret.PORT_SETTING: str(free_port())})
    status, _, body = answer(lambda_context)
    assert (status, body["error_description"]) == (500, UNREADABLE)
    assert "Parameters and Secrets Lambda Extension layer" in logged(read_logs)


def test_an_extension_that_never_answers_is_a_503_within_the_read_timeout(
    serve_secret, monkeypatch, lambda_context, configure
):
    # GIVEN an "extension" that accepts the connection and never answers
    serve_secret(SECRET)
    silent = socket.create_server(("127.0.0.1", 0))
    configure(**{app_secret.PORT_SETTING: str(silent.getsockname()[1])})
    monkeypatch.setattr(app_secret, "READ_TIMEOUT", 0.3)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(silent.accept()[0]), daemon=True).start()
    try:
        status, headers, _ = answer(lambda_context)
    finally:
        for connection in accepted:
            connection.close()
        silent.close()
    assert status == 503 and "Retry-After" in headers


@pytest.mark.parametrize("token", [None, "someone-elses-token"], ids=["no-session-token", "wrong-token"])
def test_a_request_the_extension_refuses_is_a_fixed_500(
    serve_secret, monkeypatch, lambda_context, token, configure
):
    served = serve_secret(SECRET)
    if token is None:
        configure(AWS_SESSION_TOKEN=None)
    else:
        configure(AWS_SESSION_TOKEN=token)
    status, _, body = answer(lambda_context)
    assert (status, body["error_description"]) == (500, UNREADABLE)
    assert_says_nothing_of_the_account(body, served.arn)


def test_a_binary_secret_is_refused_by_name(serve_secret, monkeypatch, lambda_context, configure):
    served = serve_secret(SECRET)
    binary = served.extension.client.create_secret(
        Name=f"{served.arn.split(':')[-1]}-bin", SecretBinary=b"\x00"
    )
    configure(APP_SECRET_ARN=binary["ARN"])
    status, _, body = answer(lambda_context)
    assert status == 500 and "not binary" in body["error_description"]
    assert_says_nothing_of_the_account(body, binary["ARN"])


def one_shot_server(answer: bytes, *, close: bool) -> tuple[socket.socket, list[bytes]]:
    """A loopback server that answers one request with ``answer``, then closes or keeps the socket."""
    listener = socket.create_server(("127.0.0.1", 0))
    requests: list[bytes] = []

    def serve() -> None:
        connection, _ = listener.accept()
        requests.append(connection.recv(65536))
        connection.sendall(answer)
        if close:
            connection.close()
        else:
            threading.Event().wait(5)  # held open, as a keep-alive server would

    threading.Thread(target=serve, daemon=True).start()
    return listener, requests


def test_an_answer_with_a_length_is_read_without_waiting_for_the_close(serve_secret, monkeypatch, configure):
    # GIVEN an extension that answers with Content-Length and keeps the connection open
    body = json.dumps({"SecretString": json.dumps(SECRET)}).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    listener, requests = one_shot_server(head + body, close=False)
    configure(**{app_secret.PORT_SETTING: str(listener.getsockname()[1])})
    configure(AWS_SESSION_TOKEN="token-123")
    monkeypatch.setattr(app_secret, "READ_TIMEOUT", 2.0)
    try:
        # WHEN the secret is read
        value = app_secret.read_secret_string("arn:aws:secretsmanager:eu-west-1:123456789012:secret:s-AbCdEf")
    finally:
        listener.close()
    # THEN its value came back, asked for with the session token and the ARN URL-encoded
    assert json.loads(value) == SECRET
    assert requests[0].startswith(b"GET /secretsmanager/get?secretId=arn%3Aaws%3Asecretsmanager%3A")
    assert b"\r\nX-Aws-Parameters-Secrets-Token: token-123\r\n" in requests[0]


def test_an_answer_that_is_not_http_is_a_503(serve_secret, monkeypatch, lambda_context, configure):
    serve_secret(SECRET)
    listener, _ = one_shot_server(b"SSH-2.0-OpenSSH_9.6\r\n", close=True)
    configure(**{app_secret.PORT_SETTING: str(listener.getsockname()[1])})
    try:
        status, _, body = answer(lambda_context)
    finally:
        listener.close()
    assert (status, body["error_description"]) == (503, app_secret.UNAVAILABLE)
