"""``getHello``: the smallest action, a greeting for the signed-in user's GPT."""

from __future__ import annotations

from typing import Annotated

import msgspec

from gpt_auth.actions.declaration import BLANK, NOT_BLANK, Action, Call, Reply

MAX_NAME_LENGTH = 200


class HelloRequest(msgspec.Struct):
    name: Annotated[
        str,
        msgspec.Meta(
            min_length=1, max_length=MAX_NAME_LENGTH, pattern=NOT_BLANK, description="The name to greet."
        ),
    ]


def greet(call: Call) -> Reply:
    return Reply.plain(f"Hello {call.body.name.strip(BLANK)}")


ACTION = Action(
    operation_id="getHello",
    method="POST",
    path="/",
    summary="Say hello to a name",
    description="Returns 'Hello <name>'. Works only once the user has signed in.",
    instruction=(
        "When the user gives a name or asks to be greeted, call `getHello` with the name and answer "
        "with exactly the text it returns; if no name was given, ask for one, never make one up."
    ),
    run=greet,
    returns=str,
    statuses={400: f"The name is missing, blank or over {MAX_NAME_LENGTH} characters: ask for another."},
    body=HelloRequest,
)
