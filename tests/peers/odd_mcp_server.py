"""A deliberately odd MCP stdio server (standard library only) for BooCode's MCP client tests.

    python odd_mcp_server.py            # one good tool among bad definitions
    python odd_mcp_server.py slow-call  # the good tool never answers

It lists `ok_tool` (answers "ok: <text>"), `bad tool!` (a name no model accepts),
`string_schema` (an input schema that is not an object schema) and `no_schema` (no input schema,
which makes the whole list invalid to a strict reader); only `ok_tool` is usable.
"""

import json
import sys
import time

MODE = sys.argv[1] if len(sys.argv) > 1 else ""

TOOLS = [
    {
        "name": "ok_tool",
        "description": "Answers ok.",
        "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}},
    },
    {"name": "bad tool!", "description": "Bad name.", "inputSchema": {"type": "object"}},
    {"name": "string_schema", "description": "Bad schema.", "inputSchema": {"type": "string"}},
    {"name": "no_schema", "description": "No input schema at all."},
]


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    request = json.loads(line)
    method, rid = request.get("method"), request.get("id")
    if rid is None:
        continue
    if method == "initialize":
        version = request["params"].get("protocolVersion", "2025-06-18")
        send({"jsonrpc": "2.0", "id": rid, "result": {
            "protocolVersion": version,
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "odd", "version": "0"},
        }})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": rid, "result": {"tools": TOOLS}})
    elif method == "tools/call":
        if MODE == "slow-call":
            time.sleep(3600)
        text = request["params"].get("arguments", {}).get("text", "")
        send({"jsonrpc": "2.0", "id": rid, "result": {
            "content": [{"type": "text", "text": f"ok: {text}"}], "isError": False,
        }})
    else:
        send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "no such method"}})
