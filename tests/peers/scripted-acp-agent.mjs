#!/usr/bin/env node
// A scripted ACP agent for BooCode's tests of client features no pinned agent exercises offline
// (claude-agent-acp 0.23.1 and opencode 1.18.33 create no terminals, neither relies on the
// client's fs/* nor asks a client to authenticate without a real account), built on the
// official ACP SDK.
//
// Authentication: with SCRIPTED_AUTH_METHODS set to a JSON list of {id, name} the agent offers
// those methods and answers session/new with auth_required until `authenticate` names one.
//
// Files: a prompt {"write_file": {"path": ..., "content": ...}} or {"read_file": {"path": ...,
// "line": n, "limit": n}} calls fs/write_text_file or fs/read_text_file and reports the result.
//
// Terminals: each prompt's text is a JSON script:
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
    this.authMethods = JSON.parse(process.env.SCRIPTED_AUTH_METHODS ?? "[]");
    this.authenticatedWith = null;
  }
  async initialize(params) {
    this.terminal = params.clientCapabilities?.terminal === true;
    return {
      protocolVersion: acp.PROTOCOL_VERSION,
      agentCapabilities: { loadSession: false },
      authMethods: this.authMethods,
    };
  }
  async newSession() {
    if (this.authMethods.length > 0 && this.authenticatedWith === null) {
      throw acp.RequestError.authRequired();
    }
    return { sessionId: "scripted-session" };
  }
  async authenticate(params) {
    if (!this.authMethods.some((m) => m.id === params.methodId)) {
      throw acp.RequestError.invalidParams({ methodId: params.methodId }, "no such auth method");
    }
    this.authenticatedWith = params.methodId;
    return {};
  }
  async prompt(params) {
    const text = params.prompt.map((b) => (b.type === "text" ? b.text : "")).join("");
    if (text === "who am i") {
      await this.say(params.sessionId, JSON.stringify({ authenticated_with: this.authenticatedWith }));
      return { stopReason: "end_turn" };
    }
    let report;
    try {
      report = await this.run(params.sessionId, JSON.parse(text));
    } catch (err) {
      report = { error: String(err?.message ?? err) };
    }
    await this.say(params.sessionId, JSON.stringify(report));
    return { stopReason: "end_turn" };
  }
  async say(sessionId, text) {
    await this.connection.sessionUpdate({
      sessionId,
      update: { sessionUpdate: "agent_message_chunk", content: { type: "text", text } },
    });
  }
  async run(sessionId, script) {
    if (script.write_file) {
      await this.connection.writeTextFile({ sessionId, ...script.write_file });
      return { written: true };
    }
    if (script.read_file) {
      const read = await this.connection.readTextFile({ sessionId, ...script.read_file });
      return { content: read.content };
    }
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
