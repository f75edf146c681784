"""How Lambda runs our functions, as the local tools, the tests and the benchmarks play it.

The one home for what they all need to know: each function's mount name (its name in
template.yaml, and its path prefix under the local emulator) and package, the timeout and
memory it gets, the context object a handler receives, and how a Function URL puts a request
body into the payload 2.0 event (text for text types, base64 for anything else, forms included).

Nothing here imports ``gpt_auth``: the benchmark children import it next to the built layer.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

AUTHORIZATION = "googleAuthorization"  # GET / (sign-in) and GET /callback (Google's redirect)
TOKEN = "googleAuthentication"  # POST /: the token endpoint
ACTION = "testEndpoint"  # POST /: the protected action
# Mount name -> package under functions/, whose app.lambda_handler serves it.
FUNCTION_MOUNTS = {
    AUTHORIZATION: "google_authorization",
    TOKEN: "google_authentication",
    ACTION: "test_endpoint",
}
FUNCTION_TIMEOUT = 15.0  # template.yaml Globals: Timeout
MEMORY_MB = 512  # template.yaml Globals: MemorySize

FORM = "application/x-www-form-urlencoded"
# Besides text/*, the media types a Function URL hands the handler as text.
TEXT_MEDIA_TYPES = frozenset({"application/json", "application/xml", "application/javascript"})


def handler_module(package: str) -> str:
    """The module whose ``lambda_handler`` serves the function in ``functions/<package>``."""
    return f"functions.{package}.app"


def template_resource(mount: str) -> str:
    """The function's logical id in template.yaml (and its folder under ``.aws-sam/build``)."""
    return f"{mount[0].upper()}{mount[1:]}Function"


@dataclass(frozen=True)
class FakeLambdaContext:
    """The context object a Lambda handler receives (the attributes Python's runtime sets).

    ``deadline`` is the ``time.monotonic()`` at which the invocation times out; None: never.
    """

    function_name: str = "test-function"
    aws_request_id: str = "00000000-0000-4000-8000-000000000001"
    memory_limit_in_mb: int = MEMORY_MB
    deadline: float | None = None
    region: str = "eu-west-1"
    account_id: str = "123456789012"
    function_version: str = "$LATEST"
    identity: Any = None
    client_context: Any = None
    tenant_id: str | None = None
    # Derived from the function's name, as Lambda derives them.
    invoked_function_arn: str = field(init=False)
    log_group_name: str = field(init=False)
    log_stream_name: str = field(init=False)

    def __post_init__(self) -> None:
        name = self.function_name
        derived = {
            "invoked_function_arn": f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}",
            "log_group_name": f"/aws/lambda/{name}",
            "log_stream_name": f"local/[$LATEST]{name}",
        }
        for attribute, value in derived.items():
            object.__setattr__(self, attribute, value)  # frozen: set once, here

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before ``deadline`` (the 15-minute maximum without one)."""
        if self.deadline is None:
            return 15 * 60 * 1000
        return max(0, int((self.deadline - time.monotonic()) * 1000))

    def attributes(self) -> dict[str, Any]:
        """The plain attributes handlers read, for a child process to rebuild the context from JSON."""
        return {name: getattr(self, name) for name in PLAIN_ATTRIBUTES}


# What the handlers and Powertools' Logger read from the context.
PLAIN_ATTRIBUTES = ("function_name", "memory_limit_in_mb", "invoked_function_arn", "aws_request_id")


def event_body(body: bytes, media_type: str) -> tuple[str, bool]:
    """``body`` as a Function URL puts it into the event: ``(body, isBase64Encoded)``.

    Text for ``text/*``, JSON, XML and JavaScript that is UTF-8; base64 for anything else, forms
    and a body without a content type included.
    """
    media_type = media_type.split(";")[0].strip().lower()
    if media_type.startswith("text/") or media_type in TEXT_MEDIA_TYPES:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def with_body(event: dict[str, Any], body: bytes, media_type: str) -> dict[str, Any]:
    """The event with ``body`` in it as a Function URL sends it, and its ``content-length``."""
    event["body"], event["isBase64Encoded"] = event_body(body, media_type)
    event["headers"]["content-length"] = str(len(body))
    return event


def with_form(event: dict[str, Any], form: Mapping[str, str] | Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The event with its body replaced by ``form``, URL-encoded (and so base64-encoded, as AWS does)."""
    return with_body(event, urlencode(form).encode(), FORM)


def body_text(event: Mapping[str, Any]) -> str:
    """The event's body as text, decoded from base64 when ``isBase64Encoded``."""
    body = event.get("body") or ""
    return base64.b64decode(body).decode() if event.get("isBase64Encoded") else str(body)
