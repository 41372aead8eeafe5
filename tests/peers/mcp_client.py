"""Drives an MCP stdio server with the official Python SDK (PyPI `mcp`, pinned in
requirements.txt), for BooCode's interop tests.

    python mcp_client.py PLAN_JSON -- COMMAND [ARGS...]

PLAN_JSON is a list of [tool, arguments] pairs. The script lists the server's tools, calls each
planned tool in order, and prints one JSON object: {"tools": [...names...], "calls": [{"tool",
"is_error", "text", "structured"}...]}. Protocol errors are reported as {"protocol_error": ...}.
"""

import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters, stdio_client


async def main() -> None:
    split = sys.argv.index("--")
    plan = json.loads(sys.argv[1])
    command, args = sys.argv[split + 1], sys.argv[split + 2 :]
    params = StdioServerParameters(command=command, args=args)
    report = {"tools": [], "calls": []}
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            listed = await session.list_tools()
            report["tools"] = [t.name for t in listed.tools]
            report["schemas"] = {t.name: t.input_schema for t in listed.tools}
            for tool, arguments in plan:
                try:
                    result = await session.call_tool(tool, arguments)
                except Exception as err:  # a JSON-RPC error from the server
                    report["calls"].append({"tool": tool, "protocol_error": str(err)})
                    continue
                text = "".join(c.text for c in result.content if getattr(c, "type", "") == "text")
                report["calls"].append(
                    {
                        "tool": tool,
                        "is_error": bool(result.is_error),
                        "text": text,
                        "structured": result.structured_content,
                    }
                )
    print(json.dumps(report))


asyncio.run(main())
