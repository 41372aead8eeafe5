// The composer's settings bar: who runs the chat (provider), what it may do to files (mode),
// the model, how much it thinks, web access and the tool tier (BooCode's own loop). A change
// applies from the next turn.
import { Select } from "radix-ui";
import { useEffect, useState } from "react";
import type { Chat, ChatMode, Thinking, ToolTier } from "../../generated/types";
import { useAgents, useModels, usePatchChat, useProjects, useProviders, useSession } from "../../lib/queries";

const MODES: { value: ChatMode; label: string }[] = [
  { value: "ask", label: "Ask (read-only)" },
  { value: "review", label: "Review (writes queued)" },
  { value: "auto_apply", label: "Auto-apply" },
];

const THINKING: { value: Thinking | "default"; label: string }[] = [
  { value: "default", label: "Default thinking" },
  { value: "off", label: "No thinking" },
  { value: "low", label: "Low" },
  { value: "medium", label: "Medium" },
  { value: "high", label: "High" },
];

const TIERS: { value: ToolTier; label: string }[] = [
  { value: "core", label: "Core tools" },
  { value: "standard", label: "Standard tools" },
  { value: "all", label: "All tools" },
];

function Picker<T extends string>({ label, value, options, onChange }: { label: string; value: T; options: { value: T; label: string; disabled?: boolean; note?: string }[]; onChange: (v: T) => void }) {
  return (
    <Select.Root value={value} onValueChange={(v) => onChange(v as T)}>
      <Select.Trigger aria-label={label} className="inline-flex min-h-8 items-center gap-1 rounded-md border border-line bg-hover px-2 text-xs">
        <Select.Value />
        <Select.Icon aria-hidden>▾</Select.Icon>
      </Select.Trigger>
      <Select.Portal>
        <Select.Content className="menu" position="popper" sideOffset={4}>
          <Select.Viewport>
            {options.map((o) => (
              <Select.Item key={o.value} value={o.value} disabled={o.disabled} className="menu-item data-[disabled]:cursor-default data-[disabled]:opacity-50">
                <Select.ItemText>{o.label}</Select.ItemText>
                {o.note && <span className="block text-xs text-muted">{o.note}</span>}
              </Select.Item>
            ))}
          </Select.Viewport>
        </Select.Content>
      </Select.Portal>
    </Select.Root>
  );
}

export function ChatSettings({ chat }: { chat: Chat }) {
  const providers = useProviders();
  const models = useModels();
  const patch = usePatchChat(chat.id);
  const [model, setModel] = useState(chat.model ?? "");
  useEffect(() => setModel(chat.model ?? ""), [chat.model]);
  const current = providers.data?.find((p) => p.name === chat.provider);
  const session = useSession(chat.session_id);
  const project = useProjects().data?.find((p) => p.id === session.data?.session.project_id);
  const defaults = project?.settings;
  const native = chat.provider === "boocode";
  const agents = useAgents(project?.id);
  const agentOptions = [
    { value: "none", label: "No agent", note: "the chat's whole tool set" },
    ...(agents.data ?? []).map((a) => ({
      value: a.name,
      label: `Agent: ${a.name}`,
      note: [a.description, a.tools ? `tools: ${a.tools.join(", ")}` : "all tools", a.model ? `model: ${a.model}` : null].filter(Boolean).join(" · "),
    })),
  ];
  if (chat.agent && !agentOptions.some((o) => o.value === chat.agent)) agentOptions.push({ value: chat.agent, label: `Agent: ${chat.agent}`, note: "not defined" });
  const providerOptions = (providers.data ?? [{ name: chat.provider, kind: "", state: "ready" as const, version: null, reason: null, install: null }]).map((p) => ({
    value: p.name,
    label: p.name === "boocode" ? "BooCode" : p.name,
    disabled: p.state !== "ready" && p.name !== chat.provider,
    note: p.state === "ready" ? undefined : `${p.state}${p.install ? ` · ${p.install}` : ""}`,
  }));
  const commitModel = () => {
    if (model !== (chat.model ?? "")) patch.mutate({ model });
  };
  return (
    <div className="flex flex-wrap items-center gap-2 px-3 pt-2" role="group" aria-label="Chat settings">
      <Picker label="Provider" value={chat.provider} options={providerOptions} onChange={(provider) => patch.mutate({ provider })} />
      <Picker label="Mode" value={chat.mode} options={MODES} onChange={(mode) => patch.mutate({ mode })} />
      <input
        className="field w-44 py-1 text-xs"
        aria-label="Model"
        list={`models-${chat.id}`}
        placeholder={models.data?.default ?? "default model"}
        value={model}
        onChange={(e) => setModel(e.target.value)}
        onBlur={commitModel}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            commitModel();
          }
        }}
      />
      <datalist id={`models-${chat.id}`}>
        {(models.data?.models ?? []).map((m) => (
          <option key={m.id} value={m.id} />
        ))}
      </datalist>
      <Picker
        label="Thinking"
        value={chat.thinking ?? "default"}
        // The model's own default is where a chat starts; once set, a level is chosen.
        options={chat.thinking ? THINKING.filter((t) => t.value !== "default") : THINKING}
        onChange={(t) => t !== "default" && patch.mutate({ thinking: t })}
      />
      {native && (
        <>
          {agentOptions.length > 1 && (
            <Picker label="Agent" value={chat.agent ?? "none"} options={agentOptions} onChange={(agent) => patch.mutate({ agent: agent === "none" ? "" : agent })} />
          )}
          <Picker
            label="Web access"
            value={chat.web === null ? "project" : chat.web ? "on" : "off"}
            options={[
              { value: "project", label: `Web: project default (${defaults?.web ? "on" : "off"})` },
              { value: "on", label: "Web on" },
              { value: "off", label: "Web off" },
            ]}
            onChange={(web) => patch.mutate({ web })}
          />
          <Picker
            label="Tool tier"
            value={chat.tool_tier ?? "project"}
            options={[{ value: "project", label: `Tools: project default (${defaults?.tool_tier ?? "standard"})` }, ...TIERS]}
            onChange={(tool_tier) => patch.mutate({ tool_tier })}
          />
        </>
      )}
      {current && current.state !== "ready" && (
        <span role="status" className="text-xs text-warn">
          {current.name} is {current.state}: {current.reason}
          {current.install ? ` — install: ${current.install}` : ""}
        </span>
      )}
      {patch.error && <span role="alert" className="text-xs text-err">{patch.error.message}</span>}
    </div>
  );
}
