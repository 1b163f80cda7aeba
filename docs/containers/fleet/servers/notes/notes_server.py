"""notes: a native streamable-HTTP MCP server with a small in-memory note store.

Listens on $HOST:$PORT (default 127.0.0.1:8000), MCP endpoint /mcp, health probe /healthz.
"""

import os

from mcp.server.fastmcp import FastMCP
from starlette.requests import Request
from starlette.responses import PlainTextResponse

mcp = FastMCP(
    "notes",
    host=os.environ.get("HOST", "127.0.0.1"),
    port=int(os.environ.get("PORT", "8000")),
)
_notes: list[dict[str, str]] = []


@mcp.tool()
def note_add(title: str, body: str = "") -> dict:
    """Store a note; returns it with its index."""
    note = {"title": title, "body": body}
    _notes.append(note)
    return {"index": len(_notes) - 1, **note}


@mcp.tool()
def note_list() -> list[dict]:
    """All notes, oldest first."""
    return list(_notes)


@mcp.custom_route("/healthz", methods=["GET"])
async def healthz(_: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


if __name__ == "__main__":
    mcp.run(transport="streamable-http")
