#!/usr/bin/env node
// A scripted ACP agent for BooCode's tests of the client side of `terminal/*`: no pinned agent
// (claude-agent-acp 0.23.1, opencode 1.18.33) creates terminals, so this one does, through the
// official ACP SDK. Each prompt's text is a JSON script:
//   {"command": "sh", "args": ["-c", "..."], "cwd": "...", "output_byte_limit": 100,
//    "kill_after_ms": 300}
// It creates the terminal, optionally kills it after a delay, waits for the exit, reads the
// output, releases the terminal and answers with one line of JSON describing what it saw.
import * as acp from "@agentclientprotocol/sdk";
import { Readable, Writable } from "node:stream";

class TerminalAgent {
  constructor(connection) {
    this.connection = connection;
    this.terminal = false;
  }
  async initialize(params) {
    this.terminal = params.clientCapabilities?.terminal === true;
    return { protocolVersion: acp.PROTOCOL_VERSION, agentCapabilities: { loadSession: false } };
  }
  async newSession() {
    return { sessionId: "terminal-session" };
  }
  async authenticate() {
    return {};
  }
  async prompt(params) {
    const text = params.prompt.map((b) => (b.type === "text" ? b.text : "")).join("");
    let report;
    try {
      report = await this.run(params.sessionId, JSON.parse(text));
    } catch (err) {
      report = { error: String(err?.message ?? err) };
    }
    await this.connection.sessionUpdate({
      sessionId: params.sessionId,
      update: {
        sessionUpdate: "agent_message_chunk",
        content: { type: "text", text: JSON.stringify(report) },
      },
    });
    return { stopReason: "end_turn" };
  }
  async run(sessionId, script) {
    if (!this.terminal) {
      return { error: "the client does not offer terminals" };
    }
    const terminal = await this.connection.createTerminal({
      sessionId,
      command: script.command,
      args: script.args ?? [],
      cwd: script.cwd ?? null,
      outputByteLimit: script.output_byte_limit ?? null,
    });
    if (script.kill_after_ms) {
      await new Promise((r) => setTimeout(r, script.kill_after_ms));
      await terminal.kill();
    }
    const exit = await terminal.waitForExit();
    const output = await terminal.currentOutput();
    await terminal.release();
    return { exit, output: output.output, truncated: output.truncated, status: output.exitStatus };
  }
  async cancel() {}
}

const stream = acp.ndJsonStream(Writable.toWeb(process.stdout), Readable.toWeb(process.stdin));
new acp.AgentSideConnection((conn) => new TerminalAgent(conn), stream);
