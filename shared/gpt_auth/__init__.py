"""gpt-google-auth's shared layer: settings, tokens, the session store and HTTP helpers."""
