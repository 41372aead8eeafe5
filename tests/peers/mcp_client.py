"""Drives an MCP stdio server with the official Python SDK (PyPI `mcp`, pinned in
requirements.txt), for BooCode's interop tests.

    python mcp_client.py PLAN_JSON -- COMMAND [ARGS...]

PLAN_JSON is a list of [tool, arguments] pairs; a ["parallel", [[tool, arguments], ...]] entry
makes those calls at once (their results are reported in the order given). The script lists the server's tools, calls each
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
            async def call(tool, arguments):
                try:
                    result = await session.call_tool(tool, arguments)
                except Exception as err:  # a JSON-RPC error from the server
                    return {"tool": tool, "protocol_error": str(err)}
                text = "".join(c.text for c in result.content if getattr(c, "type", "") == "text")
                return {
                    "tool": tool,
                    "is_error": bool(result.is_error),
                    "text": text,
                    "structured": result.structured_content,
                }

            for tool, arguments in plan:
                if tool == "parallel":
                    results = await asyncio.gather(*(call(t, a) for t, a in arguments))
                    report["calls"].extend(results)
                else:
                    report["calls"].append(await call(tool, arguments))
    print(json.dumps(report))


asyncio.run(main())
