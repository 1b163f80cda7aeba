"""utils: a stdio-only MCP server (the seed's calculator case).

Speaks MCP over stdio only, like the legacy script-based servers; the harness bridges it to streamable HTTP with
ContextForge's ``mcpgateway.translate``.
"""

import datetime
import uuid

from mcp.server.fastmcp import FastMCP

mcp = FastMCP("utils")


@mcp.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@mcp.tool()
def now() -> str:
    """The current UTC time, ISO 8601."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


@mcp.tool()
def uuid4() -> str:
    """A random UUID (version 4)."""
    return str(uuid.uuid4())


@mcp.tool()
def fail(reason: str = "requested") -> str:
    """Always raises: shows how a failing tool comes back through the gateway."""
    raise ValueError(f"failed on purpose: {reason}")


if __name__ == "__main__":
    mcp.run()  # stdio
