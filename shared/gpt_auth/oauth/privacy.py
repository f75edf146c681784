"""The privacy policy page (googleAuthorization ``GET /privacy``), built from settings.

The GPT editor asks for a privacy policy URL before a GPT with actions can be shared, and Google
asks for one before an OAuth app leaves "Testing". Serving it from googleAuthorization puts it on
the same host as the sign-in, as Google's verification expects. Every value from settings is
escaped; the lifetimes are the configured ones, and what is stored is listed from the declared
collections (``gpt_auth.user_data``), so the page cannot drift from what the code does.
"""

from __future__ import annotations

from gpt_auth.runtime.settings import Settings
from gpt_auth.runtime.web import html_response

GOOGLE_PERMISSIONS_URL = "https://myaccount.google.com/permissions"
GOOGLE_USER_DATA_POLICY_URL = "https://developers.google.com/terms/api-services-user-data-policy"


def _duration(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def _contact(settings: Settings) -> str:
    import html

    contact = settings.operator_contact
    if contact is None:
        return "<p>To ask about your data or have it deleted, contact the GPT's builder through ChatGPT.</p>"
    href = contact if contact.startswith("https://") else f"mailto:{contact}"
    return (
        "<p>To ask about your data or have it deleted, contact "
        f'<a href="{html.escape(href)}">{html.escape(contact)}</a>.</p>'
    )


def _stored(settings: Settings) -> str:
    """One item per declared collection: what it keeps about a person, with the configured lifetimes."""
    import html

    from gpt_auth.user_data import COLLECTIONS

    lifetimes = {
        "access": _duration(settings.access_token_ttl),
        "refresh": _duration(settings.refresh_token_ttl),
        "longest": _duration(settings.session_max_age),
    }
    items = (
        (html.escape(stored.about), html.escape(stored.holds.format(**lifetimes))) for stored in COLLECTIONS
    )
    return "\n".join(f"<li><strong>{about}</strong>: {holds}</li>" for about, holds in items)


def privacy_page(settings: Settings) -> dict[str, object]:
    """The page as a Function URL response (200, HTML)."""
    import html

    from gpt_auth.actions.my_data import ACTION as ERASE

    operator = html.escape(settings.operator_name)
    body = f"""
<p>{operator} runs this service for a GPT in ChatGPT. It signs you in with your Google account
and, with your permission, reads the upcoming events of your primary Google Calendar when you ask
the GPT about them.</p>
{_contact(settings)}
<h2>What is stored, and for how long</h2>
<ul>
{_stored(settings)}
<li><strong>Your calendar events are not stored.</strong> They are read from Google for each
question and passed to ChatGPT for that answer only. What ChatGPT keeps is under OpenAI's
privacy policy.</li>
<li>Logs hold no token, code, password or event content: only technical facts about each
request (its route, status and duration).</li>
</ul>
<h2>How to erase it</h2>
<p>Ask the GPT to erase your data: its <code>{ERASE.operation_id}</code> action asks Google to end
our access, then erases everything listed above that names you, and signs you out. It cannot be
undone; signing in again starts afresh. The operator can also sign you out and end Google's access
for you (<code>make revoke</code>) when you ask them.</p>
<h2>How to disconnect</h2>
<p>Remove this app at <a href="{GOOGLE_PERMISSIONS_URL}">Google Account, Third-party apps with
account access</a>. The next request then fails at Google: the stored Google tokens are deleted
and your sign-in with the GPT ends. In ChatGPT you can also sign out of the GPT's actions in its
settings.</p>
<h2>Google user data</h2>
<p>The use and transfer of information received from Google APIs adhere to the
<a href="{GOOGLE_USER_DATA_POLICY_URL}">Google API Services User Data Policy</a>, including its
Limited Use requirements. Calendar data is used only to answer your questions in the GPT; it is
not sold, not used for advertising, and not read by people.</p>
"""
    return html_response(200, "Privacy policy", body)
