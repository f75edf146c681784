"""`make revoke` with APP_SECRET_ARN: it runs outside Lambda, so it reads the secret with boto3."""

from __future__ import annotations

import pytest

from gpt_auth.oauth import sessions
from localdev import revoke
from localdev.nx_server import free_port
from localdev.secrets_extension import FAKE_CREDENTIALS
from tests.support import identity
from tests.support.identity import LIFETIMES
from tests.support.secrets import SECRET


@pytest.fixture
def operator_aws(monkeypatch, secrets_manager):
    """The operator's AWS credentials and endpoint (moto's server); no extension anywhere."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", secrets_manager)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_CREDENTIALS["aws_secret_access_key"])
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.mark.nx
def test_the_command_revokes_in_the_store_the_deployed_secret_names(
    nx_server, serve_secret, operator_aws, configure, capsys
):
    # GIVEN a deployed secret naming a store on a wire-protocol server, and Ada signed in there
    configure(MONGODB_DATABASE="revoke_secret")
    served = serve_secret({**SECRET, "MONGODB_URI": nx_server.uri})
    ada = identity.sign_in("sub-ada", email="ada@example.com", email_verified=True)
    issued = sessions.create_session(user_id=ada, client_id="gpt-from-secret", scope="", lifetimes=LIFETIMES)
    # WHEN the operator runs the command on a machine without the extension
    configure(PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=str(free_port()))
    reads = served.extension.reads
    assert revoke.main(["--user", "ada@example.com"]) == 0
    # THEN the session is revoked, in the store the secret names, and the extension was not asked
    assert "Revoked 1 session(s)" in capsys.readouterr().out
    assert served.extension.reads == reads
    assert sessions.session_for_access_token(issued.access_token) is None


def test_a_secret_the_operator_cannot_read_is_an_error_naming_it(
    serve_secret, operator_aws, configure, capsys
):
    served = serve_secret({**SECRET, "MONGODB_URI": "mongodb://127.0.0.1:1/"})
    configure(APP_SECRET_ARN=served.arn[:-6] + "Zz9Zz9")
    assert revoke.main(["--user", "ada@example.com"]) == 2
    err = capsys.readouterr().err
    assert "could not be read with your AWS credentials" in err and "ResourceNotFoundException" in err
