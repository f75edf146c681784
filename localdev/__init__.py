"""Local-only tooling: the Function URL emulator, the Google stand-in, the nx-27017 test server."""
