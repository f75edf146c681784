"""Every action testEndpoint serves, in the order the GPT and the docs list them.

To add an action, write its module beside these (see docs/actions.md) and name it here.
"""

from __future__ import annotations

from gpt_auth.actions import hello, my_data, preferences, upcoming_events
from gpt_auth.actions.declaration import Action

ACTIONS: tuple[Action, ...] = (
    hello.ACTION,
    upcoming_events.ACTION,
    preferences.SAVE,
    preferences.GET,
    my_data.ACTION,
)


def google_scopes() -> tuple[str, ...]:
    """The Google scopes the actions declare, each once, in the order the actions come."""
    return tuple(dict.fromkeys(scope for action in ACTIONS for scope in action.google_scopes))


def gpt_scope() -> tuple[str, ...]:
    """What a GPT asks for at sign-in so that every action works: the sign-in scopes, then the actions'."""
    from gpt_auth.runtime.settings import DEFAULT_GOOGLE_SCOPES

    return tuple(dict.fromkeys((*DEFAULT_GOOGLE_SCOPES, *google_scopes())))
