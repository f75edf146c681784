"""The FastMCP cold child: ``python -P fastmcp_server.py``, the reference for ``/mcp``'s cold start.

A fresh process imports FastMCP, builds a server with the same tool as our ``getHello``, makes its
Streamable HTTP app stateless with JSON answers (as FastMCP serves it behind a load balancer or
in a function), starts its lifespan, and answers the harness's ``BENCH_EVENT`` (our ``POST /mcp``
event: its body and headers) through httpx2's ``ASGITransport``, in process, as a Lambda adapter
would hand it an event; then exits at once, like our cold child. No sign-in and no store: FastMCP
answers without the token check ours makes. Run with ``-P`` so this folder's modules shadow none
of FastMCP's. Prints one ``BENCH_RESULT`` line: the HTTP status, the answer's body, peak RSS.
"""

import asyncio
import json
import os
import sys

from fastmcp import FastMCP

MCP_PATH = "/mcp"
SENT_HEADERS = ("accept", "content-type", "mcp-protocol-version", "authorization")

server = FastMCP("bench")


@server.tool
def getHello(name: str) -> str:  # the tool's name, as our action declares it
    """Returns 'Hello <name>'."""
    return f"Hello {name}"


def peak_rss_kb() -> int:
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmHWM")).split()[1])


async def answer(event: dict) -> None:
    import httpx2  # FastMCP's own HTTP client, loaded by http_app already

    app = server.http_app(path=MCP_PATH, stateless_http=True, json_response=True)
    headers = {name: value for name, value in event["headers"].items() if name in SENT_HEADERS}
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        base = f"https://{event['headers']['host']}"
        async with httpx2.AsyncClient(transport=transport, base_url=base) as client:
            reply = await client.post(MCP_PATH, content=event["body"].encode(), headers=headers)
        sys.stdout.flush()
        result = {"status": reply.status_code, "body": reply.text[:2000], "peak_rss_kb": peak_rss_kb()}
        os.write(1, ("BENCH_RESULT " + json.dumps(result) + "\n").encode())
        os._exit(0)  # the answer is out: no shutdown, as our cold child


asyncio.run(answer(json.loads(os.environ["BENCH_EVENT"])))
