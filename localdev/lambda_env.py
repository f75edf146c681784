"""What the local tools, the tests and the benchmarks know about how Lambda runs our functions.

One home for: the fake Lambda context a handler receives outside AWS.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

MEMORY_MB = 512  # template.yaml Globals: MemorySize


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

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/[$LATEST]{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before ``deadline`` (the 15-minute maximum without one)."""
        if self.deadline is None:
            return 15 * 60 * 1000
        return max(0, int((self.deadline - time.monotonic()) * 1000))

    def attributes(self) -> dict[str, Any]:
        """The plain attributes handlers read, for a child process to rebuild the context from JSON."""
        return {
            "function_name": self.function_name,
            "memory_limit_in_mb": self.memory_limit_in_mb,
            "invoked_function_arn": self.invoked_function_arn,
            "aws_request_id": self.aws_request_id,
        }
