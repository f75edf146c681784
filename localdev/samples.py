"""The sample client and values the events in ``events/`` are written for.

``make invoke``, the tests and the benchmarks run those events with these settings; the
placeholder tokens and codes in them are made live by ``localdev.seed``. Nothing here imports
``gpt_auth``.
"""

from __future__ import annotations

# The clients the sample events carry (in bodies, Basic headers and query strings).
SAMPLE_SETTINGS = {
    "GOOGLE_CLIENT_ID": "google-client-id.apps.example",
    "GOOGLE_CLIENT_SECRET": "google-secret-value-0123456789",
    "GPT_CLIENT_ID": "gpt-client",
    "GPT_CLIENT_SECRET": "gpt-secret-value-0123456789",
    # A sample AES-256 key (32 bytes of base64) for the stored Google grants: never deploy it.
    "TOKEN_ENCRYPTION_KEYS": "sample:c2FtcGxlLWtleS1mb3ItdGVzdHMtb25seS0wMTIzNDU=",
    # A sample HMAC key for the stored hashes of our tokens: never deploy it.
    "TOKEN_HASH_KEYS": "sample:c2FtcGxlLWhhc2gta2V5LWZvci10ZXN0cy1vbmx5LTA=",
}
# The GPT's callback the sample events name as redirect_uri.
SAMPLE_GPT_CALLBACK = "https://chatgpt.com/aip/g-AbCdEf123/oauth/callback"
# The sign-in cookie of the browser in the sample events: their callbacks present it, and a
# seeded pending sign-in is bound to it (gpt_auth.oauth.sign_in_cookie).
SAMPLE_SIGN_IN_COOKIE = "gsc_SampleBrowserOfTheSampleEventsOnly000000000"
# The Bearer token of the events/test_endpoint_*.json samples.
SAMPLE_ACCESS_TOKEN = "gat_Ex4mpleAccessT0kenForTheSampleEventsOnly000"
SAMPLE_USER = "sample-user"
