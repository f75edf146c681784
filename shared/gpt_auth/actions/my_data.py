"""``deleteMyData``: erase everything stored about the signed-in user. It cannot be undone.

Google's grant is revoked at Google first, best effort: when Google cannot be reached, or the
provider has no revocation endpoint, or the grant does not decrypt, it is deleted here all the
same and the answer says Google was not told. Then the user's documents go from every declared
collection (``gpt_auth.user_data``): sessions, codes, the user record, the grant, preferences.
The next call with any of the user's tokens answers 401, and the GPT offers sign-in again.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from gpt_auth.actions.declaration import Action, Call, Reply
from gpt_auth.runtime.log import logger

GoogleAccess = Literal["revoked", "not_revoked", "none"]


class Erased(msgspec.Struct):
    erased: Annotated[dict[str, int], Meta(description="Documents erased, per collection.")]
    google_access: Annotated[
        GoogleAccess,
        Meta(
            description=(
                "revoked: Google was told to end our access. none: we held none. not_revoked: Google "
                "could not be told; the user can remove it in their Google Account, under third-party access."
            )
        ),
    ]


def _revoke_at_google(user_id: str) -> tuple[GoogleAccess, int]:
    """Revoke the user's Google grant at Google and delete it; (what Google was told, grants deleted)."""
    from gpt_auth.google import google_tokens
    from gpt_auth.runtime.errors import ConfigError, UpstreamError

    try:
        outcome = google_tokens.revoke_at_google(user_id)
    except (UpstreamError, ConfigError) as exc:
        # The user asked for erasure: the grant is deleted below all the same.
        logger.warning(
            "Google grant not revoked at Google before erasure", extra={"error_type": type(exc).__name__}
        )
        return "not_revoked", 0
    if outcome == "none":
        return "none", 0
    return ("revoked" if outcome == "revoked" else "not_revoked"), 1


def erase(call: Call) -> Reply:
    from gpt_auth import user_data
    from gpt_auth.google import google_tokens

    google_access, grants = _revoke_at_google(call.user_id)
    erased = user_data.erase(call.user_id)
    erased[google_tokens.COLLECTION.name] += grants
    logger.info("user data erased", extra={"erased": erased, "google_access": google_access})
    return Reply.of(Erased(erased=erased, google_access=google_access))


ACTION = Action(
    operation_id="deleteMyData",
    method="DELETE",
    path="/me",
    summary="Erase everything stored about the user",
    description=(
        "Irreversible. Revokes our Google access, then erases the user's preferences, account record "
        "and every sign-in: the next call answers 401 until they sign in again. Answers what was erased."
    ),
    instruction=(
        "Only when the user asks to erase their data, confirm first, then call `deleteMyData`; it "
        "cannot be undone."
    ),
    run=erase,
    returns=Erased,
)
