// Generated from the Rust types in boocode-core. Do not edit by hand.
// Regenerate: UPDATE_TYPES=1 cargo test -p boocode-core --test generated_types

export type ProjectId = string;

export type SessionId = string;

export type ChatId = string;

export type MessageId = string;

export type Project = { 
/**
 * Stable id.
 */
id: ProjectId, 
/**
 * Display name (defaults to the directory name).
 */
name: string, 
/**
 * Absolute path of the project root on the host.
 */
root: string, 
/**
 * Creation time.
 */
created_at: number, 
/**
 * Whether the project is hidden from the sidebar.
 */
archived: boolean, 
/**
 * What the project's chats get by default: web access, tool tier, read grants.
 */
settings: ProjectSettings, };

export type Session = { 
/**
 * Stable id.
 */
id: SessionId, 
/**
 * The project this session works on.
 */
project_id: ProjectId, 
/**
 * Display title (auto-named after the first reply unless the user renamed it).
 */
title: string, 
/**
 * Creation time.
 */
created_at: number, 
/**
 * Last activity.
 */
updated_at: number, 
/**
 * Whether the session is hidden from the sidebar.
 */
archived: boolean, };

export type ChatMode = "ask" | "review" | "auto_apply";

export type Thinking = "off" | "low" | "medium" | "high";

export type ToolTier = "core" | "standard" | "all";

export type ProjectSettings = { 
/**
 * Whether chats get `web_search` and `web_fetch` unless a chat says otherwise (off by
 * default).
 */
web: boolean, 
/**
 * How many tools chats are offered unless a chat says otherwise.
 */
tool_tier: ToolTier, 
/**
 * Other directories (absolute paths) the project's chats may read, through the path and
 * secret guards; never written.
 */
read_grants: Array<string>, };

export type Chat = { 
/**
 * Stable id.
 */
id: ChatId, 
/**
 * The session that holds this chat.
 */
session_id: SessionId, 
/**
 * Display title.
 */
title: string, 
/**
 * The agent definition this chat runs with, if any.
 */
agent: string | null, 
/**
 * Who runs the chat's turns (`boocode`, BooCode's own loop, by default).
 */
provider: string, 
/**
 * What the chat's agent may do to files.
 */
mode: ChatMode, 
/**
 * The model, when not the provider's default.
 */
model: string | null, 
/**
 * How much the model thinks, when not the default.
 */
thinking: Thinking | null, 
/**
 * Web access for this chat; `None` follows the project's default.
 */
web: boolean | null, 
/**
 * The chat's tool tier; `None` follows the project's default.
 */
tool_tier: ToolTier | null, 
/**
 * The isolated worktree the chat's agent works in instead of the project's directory
 * (its id), when it has one: its writes land there, never in the main tree.
 */
worktree: string | null, 
/**
 * That worktree's directory for this project (set by the runtime only).
 */
workdir: string | null, 
/**
 * The chat that delegated this one (a Boomerang child), when one did; set by the runtime
 * only. Clients show such chats nested under their parent.
 */
parent: ChatId | null, 
/**
 * Creation time.
 */
created_at: number, 
/**
 * Last activity.
 */
updated_at: number, 
/**
 * Whether the chat is archived.
 */
archived: boolean, };

export type Role = "system" | "user" | "assistant" | "tool";

export type MessageStatus = "streaming" | "complete" | "failed" | "cancelled";

export type MessageKind = "regular" | "sentinel" | "summary";

export type Part = { "type": "text", 
/**
 * The text.
 */
text: string, } | { "type": "reasoning", 
/**
 * The reasoning text.
 */
text: string, } | { "type": "tool_call", 
/**
 * The call id, unique within the chat.
 */
id: string, 
/**
 * Tool name.
 */
name: string, 
/**
 * The raw JSON arguments as the model produced them (they may be malformed).
 */
arguments: string, } | { "type": "tool_result", 
/**
 * The id of the call this answers.
 */
call_id: string, 
/**
 * Tool name.
 */
name: string, 
/**
 * What the model sees.
 */
content: string, 
/**
 * Whether the call failed (the content then explains why).
 */
is_error: boolean, 
/**
 * Wall time of the call in milliseconds, when it ran.
 */
duration_ms?: number | null, } | { "type": "permission", 
/**
 * The request id.
 */
request_id: string, 
/**
 * The tool the agent wanted to run.
 */
tool: string, 
/**
 * What it wanted, for a person.
 */
summary: string, 
/**
 * The answer; `None` while waiting, or when the agent went away unanswered.
 */
decision?: PermissionDecision | null, } | { "type": "notice", 
/**
 * How severe.
 */
level: NoticeLevel, 
/**
 * The message.
 */
message: string, } | { "type": "plan", 
/**
 * The steps, in order.
 */
entries: Array<PlanEntry>, } | { "type": "terminal", 
/**
 * Which terminal.
 */
terminal_id: string, 
/**
 * Its output, the end of it when `truncated`.
 */
output: string, 
/**
 * Whether earlier output was dropped.
 */
truncated: boolean, 
/**
 * The exit code, once the process ended normally.
 */
exit_code?: number | null, };

export type Usage = { 
/**
 * Prompt (input) tokens.
 */
prompt_tokens: number, 
/**
 * Completion (output) tokens.
 */
completion_tokens: number, 
/**
 * Tokens now in the model's context after the request (prompt + completion of the last
 * request).
 */
ctx_used: number, 
/**
 * The model's context size, when known.
 */
ctx_max?: number | null, 
/**
 * Cost in US dollars of the turn so far (not of the whole session), when the backend
 * reports one.
 */
cost_usd?: number | null, };

export type Message = { 
/**
 * Stable id.
 */
id: MessageId, 
/**
 * Who wrote it.
 */
role: Role, 
/**
 * Where it is in its life.
 */
status: MessageStatus, 
/**
 * What it is for.
 */
kind: MessageKind, 
/**
 * Its content, in order.
 */
parts: Array<Part>, 
/**
 * Token usage of the turn that produced it (assistant messages).
 */
usage?: Usage | null, 
/**
 * Creation time.
 */
created_at: number, };

export type TurnOutcome = "completed" | "step_cap" | "budget_exhausted" | "doom_loop" | "cancelled" | "error";

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "unknown";

export type ChatStatus = "streaming" | "tool_running" | "waiting_for_input" | "idle" | "error";

export type NoticeLevel = "info" | "warning" | "error";

export type PermissionDecision = "allow_once" | "allow_session" | "deny" | "deny_and_stop";

export type PlanEntry = { 
/**
 * What the step is.
 */
content: string, 
/**
 * `pending`, `in_progress` or `completed`, as the agent reports it.
 */
status: string, };

export type AgentEvent = { "type": "turn_started", 
/**
 * The id of the stored assistant message the turn writes into. BooCode's own loop
 * names its message; agents and PTYs have none of their own, and the runtime fills in
 * the chat's assistant row before the event leaves it.
 */
message_id?: string, } | { "type": "step_started", 
/**
 * 1-based step number within the turn.
 */
step: number, } | { "type": "text_delta", 
/**
 * The new text.
 */
text: string, } | { "type": "reasoning_delta", 
/**
 * The new reasoning text.
 */
text: string, } | { "type": "tool_call_started", 
/**
 * The call id.
 */
call_id: string, 
/**
 * The tool's name.
 */
name: string, } | { "type": "tool_call_args_delta", 
/**
 * The call id.
 */
call_id: string, 
/**
 * The next fragment of the arguments text.
 */
delta: string, } | { "type": "tool_call_ready", 
/**
 * The call id.
 */
call_id: string, 
/**
 * The tool's name.
 */
name: string, 
/**
 * The complete arguments text.
 */
arguments: string, } | { "type": "tool_call_finished", 
/**
 * The call id.
 */
call_id: string, 
/**
 * The tool's name.
 */
name: string, 
/**
 * What the model sees as the result.
 */
output: string, 
/**
 * Whether the call failed.
 */
is_error: boolean, 
/**
 * Wall time of the call in milliseconds.
 */
duration_ms: number, 
/**
 * Size of the output in bytes.
 */
output_bytes: number, } | { "type": "permission_requested", 
/**
 * The request id to answer with.
 */
request_id: string, 
/**
 * The tool call this is about, when known.
 */
call_id: string | null, 
/**
 * The tool's name.
 */
tool: string, 
/**
 * A short human-readable description of the call.
 */
summary: string, 
/**
 * The choices offered.
 */
options: Array<PermissionDecision>, } | { "type": "permission_resolved", 
/**
 * The request id.
 */
request_id: string, 
/**
 * The answer.
 */
decision: PermissionDecision, } | { "type": "usage", 
/**
 * The counts.
 */
usage: Usage, } | { "type": "backend_session", 
/**
 * Which backend (`native`, `claude_sdk`, `acp`, `pty`).
 */
backend: string, 
/**
 * The backend's session id.
 */
session_id: string, } | { "type": "plan", 
/**
 * The whole current plan.
 */
entries: Array<PlanEntry>, } | { "type": "terminal_output", 
/**
 * Which terminal.
 */
terminal_id: string, 
/**
 * The output, as UTF-8 (invalid bytes replaced).
 */
data: string, } | { "type": "terminal_screen", 
/**
 * Which terminal.
 */
terminal_id: string, 
/**
 * The screen, one line per row.
 */
screen: string, } | { "type": "terminal_exited", 
/**
 * Which terminal.
 */
terminal_id: string, 
/**
 * Exit code, if it exited normally.
 */
exit_code: number | null, } | { "type": "status", 
/**
 * The new status.
 */
status: ChatStatus, } | { "type": "notice", 
/**
 * How severe.
 */
level: NoticeLevel, 
/**
 * The message.
 */
message: string, } | { "type": "step_finished", 
/**
 * 1-based step number.
 */
step: number, 
/**
 * Why the model stopped.
 */
finish_reason: FinishReason, } | { "type": "turn_finished", 
/**
 * How it ended.
 */
outcome: TurnOutcome, 
/**
 * The sentinel summary for early stops, or the error message.
 */
summary: string | null, 
/**
 * Usage over the whole turn.
 */
usage: Usage, };

export type QueuedMessage = { 
/**
 * Stable id (for cancelling it).
 */
id: string, 
/**
 * The chat it waits in.
 */
chat_id: ChatId, 
/**
 * What the user wrote.
 */
text: string, 
/**
 * When it was queued.
 */
created_at: number, };

export type SessionFrame = { "type": "snapshot", 
/**
 * The chat.
 */
chat_id: ChatId, 
/**
 * The partial assistant message.
 */
message: Message, 
/**
 * The last event folded in.
 */
seq: number, } | { "type": "event", 
/**
 * The chat.
 */
chat_id: ChatId, 
/**
 * The assistant message the turn writes.
 */
message_id: MessageId, 
/**
 * Position in the turn's event sequence.
 */
seq: number, 
/**
 * The event.
 */
event: AgentEvent, } | { "type": "message_created", 
/**
 * The chat.
 */
chat_id: ChatId, 
/**
 * The message as stored.
 */
message: Message, } | { "type": "message_finished", 
/**
 * The chat.
 */
chat_id: ChatId, 
/**
 * The final message.
 */
message: Message, } | { "type": "ready", 
/**
 * The session.
 */
session_id: SessionId, } | { "type": "queue_changed", 
/**
 * The chat.
 */
chat_id: ChatId, 
/**
 * What waits, in the order it will run.
 */
queue: Array<QueuedMessage>, } | { "type": "changes_changed", 
/**
 * The chat.
 */
chat_id: ChatId, 
/**
 * Every change of the chat, in whatever state.
 */
changes: Array<ChangeView>, };

export type UserFrame = { "type": "ready", 
/**
 * How many permission prompts wait for an answer now.
 */
inbox_waiting: number, 
/**
 * How many chats' agent terminals wait for input now.
 */
terminals_waiting: number, } | { "type": "resync" } | { "type": "session_created", 
/**
 * The session.
 */
session: Session, } | { "type": "session_updated", 
/**
 * The session as it is now.
 */
session: Session, } | { "type": "chat_created", 
/**
 * The chat.
 */
chat: Chat, } | { "type": "chat_status", 
/**
 * The session holding the chat.
 */
session_id: SessionId, 
/**
 * The chat.
 */
chat_id: ChatId, 
/**
 * Its status.
 */
status: ChatStatus, } | { "type": "inbox_changed", 
/**
 * How many prompts wait.
 */
waiting: number, } | { "type": "terminals_waiting", 
/**
 * How many agent terminals wait for input.
 */
waiting: number, } | { "type": "arena_updated", 
/**
 * The arena as it is now.
 */
arena: Arena, } | { "type": "workspace_updated", 
/**
 * The session.
 */
session_id: SessionId, 
/**
 * The layout document.
 */
panes: unknown, 
/**
 * An id of the client that saved it, so it can ignore its own echo.
 */
origin: string | null, };

export type ChangeState = "pending" | "applied" | "rejected" | "reverted";

export type ChangeView = { 
/**
 * Stable id.
 */
id: string, 
/**
 * The chat that proposed it.
 */
chat_id: ChatId, 
/**
 * Order of proposal within its chat.
 */
seq: number, 
/**
 * Path relative to the project root.
 */
path: string, 
/**
 * Where it stands.
 */
state: ChangeState, 
/**
 * Unified diff.
 */
diff: string, };

export type Refusal = { 
/**
 * Path relative to the project root.
 */
path: string, 
/**
 * The changes of that file that were not applied (or not undone).
 */
change_ids: Array<string>, 
/**
 * Why, for a human.
 */
reason: string, 
/**
 * When the file changed on disk since: a unified diff from the file as it is now (`-`) to
 * the version the refused operation would have written (`+`), so both can be compared.
 * Absent for a secret file, a binary one or one over 256 KiB.
 */
conflict?: string | null, };

export type ChangeReport = { 
/**
 * Changes now applied (rejected, or for a rewind reverted), in order.
 */
done: Array<string>, 
/**
 * Files refused, with their changes.
 */
refused: Array<Refusal>, };

export type ChangeSelection = { 
/**
 * These changes; omitted: all of the chat's.
 */
ids: Array<string> | null, };

export type InboxState = "waiting" | "answered" | "expired";

export type InboxItem = { 
/**
 * Answer with `POST /api/inbox/{request_id}`.
 */
request_id: string, 
/**
 * The chat that asks.
 */
chat_id: ChatId, 
/**
 * Its session.
 */
session_id: SessionId, 
/**
 * The chat's provider.
 */
provider: string, 
/**
 * The tool the agent wants to run.
 */
tool: string, 
/**
 * What it wants, for a person.
 */
summary: string, 
/**
 * When it asked (ms since the epoch).
 */
asked_at: number, 
/**
 * Waiting, answered, or expired (its agent went away unanswered).
 */
state: InboxState, 
/**
 * The answer, once answered.
 */
decision: PermissionDecision | null, };

export type InboxAnswer = { 
/**
 * `allow_once`, `allow_session`, `deny` or `deny_and_stop`.
 */
decision: PermissionDecision, };

export type NewChat = { 
/**
 * The session's (or chat's) title.
 */
title?: string | null, 
/**
 * The agent definition of the (first) chat.
 */
agent?: string | null, 
/**
 * Who runs the chat's turns (default `boocode`).
 */
provider?: string | null, 
/**
 * `ask`, `review` or `auto_apply` (default: the server profile's).
 */
mode?: ChatMode | null, 
/**
 * The model (default: the provider's).
 */
model?: string | null, 
/**
 * `off`, `low`, `medium` or `high`.
 */
thinking?: Thinking | null, 
/**
 * Run the chat in its own isolated worktree of the project (`POST /api/sessions/{id}/chats`
 * only): its agent's writes land there, never in the main tree.
 */
worktree?: NewWorktree | null, };

export type NewArena = { 
/**
 * The prompt every contender gets.
 */
prompt: string, 
/**
 * Who competes: 2 to 8 providers, each optionally with a model (the same provider may
 * come twice with two models).
 */
contenders: Array<NewContender>, 
/**
 * A shell command run in each contender's worktree when it finishes; its exit code is
 * the score (0 passes), never the agent's own claim.
 */
verify?: string | null, 
/**
 * Seconds the verify command may run (default 600).
 */
verify_timeout_secs?: number | null, 
/**
 * Start every worktree from the project as it is on disk (uncommitted work included).
 */
include_uncommitted: boolean, };

export type NewContender = { 
/**
 * The provider (`boocode`, `claude-acp`, `opencode`, …).
 */
provider: string, 
/**
 * The model, when not the provider's default.
 */
model?: string | null, };

export type ContenderState = "running" | "verifying" | "done";

export type Contender = { 
/**
 * 1-based, as listed.
 */
index: number, 
/**
 * Its chat (in its own worktree).
 */
chat_id: ChatId, 
/**
 * The provider.
 */
provider: string, 
/**
 * The model asked for.
 */
model: string | null, 
/**
 * Where it stands.
 */
state: ContenderState, 
/**
 * How its turn ended (`complete`, `failed`, `cancelled`), once it has.
 */
outcome: string | null, 
/**
 * Wall time of its turn.
 */
wall_ms: number | null, 
/**
 * Tokens its turn used (input + output), when reported.
 */
tokens: number | null, 
/**
 * Cost in US dollars, when reported.
 */
cost_usd: number | null, 
/**
 * Files it changed, relative to the project.
 */
files_changed: Array<string>, 
/**
 * Lines added over all files.
 */
lines_added: number, 
/**
 * Lines removed over all files.
 */
lines_removed: number, 
/**
 * The verify command's exit code (`None`: no command, not run yet, or timed out).
 */
verify_exit: number | null, 
/**
 * The end of the verify command's output.
 */
verify_output: string | null, };

export type Arena = { 
/**
 * Stable id.
 */
id: string, 
/**
 * The project.
 */
project_id: ProjectId, 
/**
 * The session its chats are in.
 */
session_id: SessionId, 
/**
 * The prompt.
 */
prompt: string, 
/**
 * The verify command.
 */
verify: string | null, 
/**
 * The contenders, in order.
 */
contenders: Array<Contender>, 
/**
 * Files changed by every contender that changed any.
 */
files_in_common: Array<string>, 
/**
 * The contender picked (its index), once one is.
 */
picked: number | null, 
/**
 * The chat the picked contender's changes were queued under, for review on the main tree.
 */
picked_chat: ChatId | null, 
/**
 * Whether its worktrees were removed.
 */
discarded: boolean, 
/**
 * Whether the worktrees started from the work in progress, not the last commit.
 */
include_uncommitted: boolean, 
/**
 * How long the verify command may run, when not the default.
 */
verify_timeout_secs: number | null, 
/**
 * The arena this one runs again, when it is a rerun.
 */
rerun_of: string | null, 
/**
 * Creation time.
 */
created_at: number, };

export type PickContender = { 
/**
 * The contender's 1-based index.
 */
index: number, };

export type LeaderboardRow = { 
/**
 * The provider.
 */
provider: string, 
/**
 * The model asked for (`None`: the provider's default).
 */
model: string | null, 
/**
 * Arenas it finished in.
 */
contests: number, 
/**
 * Times it was picked.
 */
wins: number, 
/**
 * Times a verify command ran on its work.
 */
verified: number, 
/**
 * Times that command passed (exit 0).
 */
passed: number, 
/**
 * Median wall time of its turns.
 */
median_wall_ms: number | null, 
/**
 * Median tokens of its turns, where reported.
 */
median_tokens: number | null, 
/**
 * Median cost of its turns, where reported.
 */
median_cost_usd: number | null, };

export type DelegateResult = { 
/**
 * The child chat (open it to read everything it did).
 */
chat_id: ChatId, 
/**
 * Who ran it.
 */
provider: string, 
/**
 * `complete`, `failed` or `cancelled` (the status of its final message).
 */
outcome: string, 
/**
 * The child's final answer (its start, when long).
 */
answer: string, 
/**
 * Files the child changed in its worktree.
 */
files_changed: Array<ChangedFile>, 
/**
 * The verify command's result, when one was given.
 */
verify: VerifyResult | null, 
/**
 * Tokens the child's turn used.
 */
tokens: number, 
/**
 * What the child's turn cost, when known.
 */
cost_usd: number | null, 
/**
 * What happens to its changes.
 */
note: string, };

export type ChangedFile = { 
/**
 * Relative to the project.
 */
path: string, 
/**
 * Lines added.
 */
added: number, 
/**
 * Lines removed.
 */
removed: number, };

export type VerifyResult = { 
/**
 * The command.
 */
command: string, 
/**
 * Its exit code; `None` when it timed out or could not run.
 */
exit_code: number | null, 
/**
 * The end of its output.
 */
output: string, };

export type MergedChild = { 
/**
 * The parent chat whose queue holds the changes now.
 */
parent: ChatId, 
/**
 * The files the child changed.
 */
files: Array<string>, 
/**
 * How many pending changes were queued (files too large to hold are left out).
 */
queued: number, };

export type SkillInfo = { 
/**
 * Its name (`$name` loads it).
 */
name: string, 
/**
 * What it does and when to use it.
 */
description: string, 
/**
 * Its licence, when it names one.
 */
license: string | null, 
/**
 * The tools it may use, when it narrows them.
 */
allowed_tools: Array<string> | null, 
/**
 * Its folder: relative to the project for a project skill, absolute for a user's.
 */
dir: string, 
/**
 * Whether it comes from the project (else from the user's folders).
 */
project: boolean, 
/**
 * The files bundled with it, relative to its folder.
 */
files: Array<string>, };

export type SkillList = { 
/**
 * The skills, by name.
 */
skills: Array<SkillInfo>, 
/**
 * Each skill skipped and each name defined twice, in words naming the file.
 */
problems: Array<string>, };

export type NewWorktree = { 
/**
 * Start from the project as it is on disk, uncommitted and untracked files included (a git
 * project; a copy of a plain directory always is).
 */
include_uncommitted: boolean, 
/**
 * Files to copy in from the project (never a secret), such as `.env.example` → `.env`.
 */
copy: Array<WorktreeCopy>, };

export type WorktreeCopy = { 
/**
 * In the project, relative.
 */
from: string, 
/**
 * In the worktree, relative.
 */
to: string, };

export type PostMessage = { 
/**
 * What the user writes.
 */
text: string, 
/**
 * Join the running turn at its next step (BooCode's own loop only) instead of waiting.
 */
steer: boolean, };

export type SessionCreated = { 
/**
 * The new session.
 */
session: Session, 
/**
 * Its first chat.
 */
chat: Chat, };

export type SessionView = { 
/**
 * The session.
 */
session: Session, 
/**
 * Its chats, oldest first.
 */
chats: Array<Chat>, };

export type StartedTurn = { 
/**
 * The user's message.
 */
user_message: Message, 
/**
 * The (streaming) assistant message the turn writes.
 */
assistant_message: Message, };

export type SteeringMessage = { 
/**
 * The chat.
 */
chat_id: ChatId, 
/**
 * What the user wrote.
 */
text: string, };

export type Posted = StartedTurn | { 
/**
 * The waiting message.
 */
queued: QueuedMessage, } | { 
/**
 * The message.
 */
steering: SteeringMessage, };

export type MessagesPage = { 
/**
 * The messages, oldest first.
 */
messages: Array<Message>, 
/**
 * Pass as `before` for the page of older messages.
 */
cursor: number | null, 
/**
 * Whether older messages exist.
 */
has_more: boolean, 
/**
 * Whether a turn runs in the chat on this server.
 */
running: boolean, };

export type DirEntry = { 
/**
 * The name.
 */
name: string, 
/**
 * The path relative to the project root.
 */
path: string, 
/**
 * Whether it is a directory.
 */
is_dir: boolean, 
/**
 * Size in bytes (files).
 */
size: number, };

export type DirListing = { 
/**
 * The directory, relative to the project root (empty for the root).
 */
path: string, 
/**
 * Its entries: directories first, then by name.
 */
entries: Array<DirEntry>, };

export type FileContent = { 
/**
 * The path relative to the project root.
 */
path: string, 
/**
 * The text (lossily decoded), unless the file is binary.
 */
text: string | null, 
/**
 * Whether the file looks binary.
 */
binary: boolean, 
/**
 * Its size in bytes.
 */
size: number, 
/**
 * Whether `text` stops before the end of the file.
 */
truncated: boolean, };

export type ModelEntry = { 
/**
 * The model id to ask for.
 */
id: string, 
/**
 * Its context size, when the server reports one.
 */
context: number | null, };

export type ModelList = { 
/**
 * The model chats use unless they name one.
 */
default: string | null, 
/**
 * The default model's context size.
 */
context: number | null, 
/**
 * Every model the server lists.
 */
models: Array<ModelEntry>, };

export type ProviderState = "ready" | "missing" | "broken" | "disabled";

export type ProviderInfo = { 
/**
 * The name chats use (`boocode`, `claude`, `claude-acp`, `opencode`, …).
 */
name: string, 
/**
 * How BooCode talks to it: `native`, `claude_sdk`, `acp` or `pty`.
 */
kind: string, 
/**
 * Whether it can run.
 */
state: ProviderState, 
/**
 * Its program's version, when it gave one.
 */
version: string | null, 
/**
 * Why it cannot run, for a broken or missing one.
 */
reason: string | null, 
/**
 * How to install it, for a missing one.
 */
install: string | null, };

export type EndpointView = { 
/**
 * The OpenAI-compatible base URL (credentials in it redacted).
 */
url: string, 
/**
 * Whether an API key is set.
 */
has_key: boolean, 
/**
 * The default model, when one is chosen.
 */
model: string | null, 
/**
 * Whether it was saved in the settings (else it comes from the command line).
 */
saved: boolean, };

export type AgentInfo = { 
/**
 * The name a chat's `agent` setting takes.
 */
name: string, 
/**
 * What it is for.
 */
description: string | null, 
/**
 * The tools it is limited to; `None` means the chat's whole set.
 */
tools: Array<string> | null, 
/**
 * The model it asks for, over the chat's default.
 */
model: string | null, 
/**
 * Where it is defined: `builtin` (shipped with BooCode), `global` (the config directory)
 * or `project` (`.boocode/agents`).
 */
scope: string, };

export type NewTerminal = { 
/**
 * The working directory, relative to the project root (default: the root).
 */
cwd?: string | null, 
/**
 * A provider from the registry to run instead of the user's shell.
 */
command?: string | null, 
/**
 * Columns (default 80).
 */
cols?: number | null, 
/**
 * Rows (default 24).
 */
rows?: number | null, 
/**
 * The pane's title (default: the program's name).
 */
title?: string | null, };

export type TerminalInfo = { 
/**
 * Stable id (for `/api/terminals/{id}/ws`).
 */
id: string, 
/**
 * The session it belongs to.
 */
session_id: SessionId, 
/**
 * Its title.
 */
title: string, 
/**
 * The program it runs.
 */
program: string, 
/**
 * Its working directory, relative to the project root (`""` for the root).
 */
cwd: string, 
/**
 * Columns now.
 */
cols: number, 
/**
 * Rows now.
 */
rows: number, 
/**
 * Creation time.
 */
created_at: number, 
/**
 * How it ended, once it has.
 */
exit: TerminalExit | null, 
/**
 * The chat whose agent runs in it (a PTY provider's terminal), if any.
 */
chat_id: ChatId | null, 
/**
 * Whether its program has gone quiet after printing and waits for input (watched for a
 * chat's agent terminals only).
 */
waiting: boolean, };

export type TerminalExit = { 
/**
 * Its exit code, when it exited by itself.
 */
code: number | null, 
/**
 * Whether a signal (or closing the terminal) ended it.
 */
signaled: boolean, };

export type TerminalControl = { "type": "resize", 
/**
 * Columns.
 */
cols: number, 
/**
 * Rows.
 */
rows: number, } | { "type": "exit", 
/**
 * Its exit code, when it exited by itself.
 */
code: number | null, 
/**
 * Whether a signal ended it.
 */
signaled: boolean, } | { "type": "reset" };

export type EndpointProbe = { 
/**
 * The base URL tried (credentials redacted).
 */
url: string, 
/**
 * What usually listens there (`llama.cpp / llama-swap`, `Ollama`, …, or `configured`).
 */
label: string, 
/**
 * Whether it answered `GET /v1/models`.
 */
reachable: boolean, 
/**
 * The models it lists.
 */
models: Array<string>, 
/**
 * Why it did not answer.
 */
error: string | null, };

export type SetupState = { 
/**
 * The endpoint in use.
 */
endpoint: EndpointView, 
/**
 * Whether the endpoint in use answered.
 */
ready: boolean, 
/**
 * The endpoint in use first, then the usual local ports.
 */
probes: Array<EndpointProbe>, };

export type EndpointSettings = { 
/**
 * The OpenAI-compatible base URL (`http://127.0.0.1:8080`, with or without `/v1`).
 */
url: string, 
/**
 * The API key: absent keeps the saved one, empty removes it.
 */
api_key?: string | null, 
/**
 * The default model; absent or empty lets the server choose.
 */
model?: string | null, };

export type ToolStat = { 
/**
 * The tool.
 */
tool: string, 
/**
 * Calls counted.
 */
count: number, 
/**
 * Median duration, ms.
 */
p50_ms: number, 
/**
 * 95th percentile duration, ms.
 */
p95_ms: number, 
/**
 * Mean output size, bytes.
 */
mean_output_bytes: number, 
/**
 * Share of calls that failed, 0 to 1.
 */
error_rate: number, };

export type ToolStatsReport = { 
/**
 * How many of each tool's latest calls count.
 */
window: number, 
/**
 * The tools, busiest first.
 */
tools: Array<ToolStat>, };
