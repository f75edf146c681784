"""Both ways an MCP client comes, up to its consent page: registered at POST /register, then
signing in with that client_id; or naming its metadata document's URL as its client_id (the
fetch stubbed). A document that cannot be used ends at a page saying why."""

from __future__ import annotations

import json

from functions.google_authorization import app
from gpt_auth.oauth import clients, metadata_documents, pending
from gpt_auth.oauth.metadata_documents import Fetched
from gpt_auth.runtime import db
from tests.support.authorization import assert_page
from tests.support.events import load_event
from tests.support.mcp_sign_in import CALLBACK, consent_page, mcp_authorize_event

DOCUMENT_URL = "https://mcp.example.com/oauth/client.json"


def test_a_client_registered_at_register_signs_in(store, lambda_context):
    # GIVEN Claude's registration
    response = app.lambda_handler(load_event("google_authorization_register"), lambda_context)
    client_id = json.loads(response["body"])["client_id"]
    # WHEN it asks for a sign-in with that client_id
    page = consent_page(lambda_context, client_id=client_id)
    # THEN the consent page names it and where the code goes
    assert_page(page, 200, "Claude", "claude.ai")


def serve(monkeypatch, status: int, document: dict) -> list[str]:
    fetched: list[str] = []

    def fetch(url: str) -> Fetched:
        fetched.append(url)
        return Fetched(status, {"content-type": "application/json"}, json.dumps(document).encode())

    monkeypatch.setattr(metadata_documents, "fetch", fetch)
    return fetched


def test_a_client_naming_its_metadata_document_signs_in(monkeypatch, store, lambda_context):
    document = {"client_id": DOCUMENT_URL, "client_name": "Example app", "redirect_uris": [CALLBACK]}
    fetched = serve(monkeypatch, 200, document)
    page = consent_page(lambda_context, client_id=DOCUMENT_URL)
    assert_page(page, 200, "Example app", "claude.ai")
    assert fetched == [DOCUMENT_URL]


def test_a_document_that_cannot_be_used_is_a_page_saying_why(monkeypatch, store, lambda_context):
    serve(monkeypatch, 200, {"client_id": DOCUMENT_URL + "x", "redirect_uris": [CALLBACK]})
    response = app.lambda_handler(mcp_authorize_event(client_id=DOCUMENT_URL), lambda_context)
    assert_page(
        response, 400, "metadata document could not be used", "client_id is not exactly", DOCUMENT_URL
    )
    assert db.collection(pending.COLLECTION).count_documents({}) == 0
    assert db.collection(clients.COLLECTION).count_documents({}) == 0
