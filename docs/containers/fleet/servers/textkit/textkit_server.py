"""textkit: a native SSE MCP server (the legacy HTTP+SSE transport).

Listens on $HOST:$PORT (default 127.0.0.1:8000), SSE endpoint /sse, message endpoint /messages/, health /healthz.
"""

import os

from mcp.server.fastmcp import FastMCP
from starlette.requests import Request
from starlette.responses import PlainTextResponse

mcp = FastMCP(
    "textkit",
    host=os.environ.get("HOST", "127.0.0.1"),
    port=int(os.environ.get("PORT", "8000")),
)


@mcp.tool()
def upper(text: str) -> str:
    """Upper-case the text."""
    return text.upper()


@mcp.tool()
def word_count(text: str) -> int:
    """Number of whitespace-separated words in the text."""
    return len(text.split())


@mcp.custom_route("/healthz", methods=["GET"])
async def healthz(_: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


if __name__ == "__main__":
    mcp.run(transport="sse")
