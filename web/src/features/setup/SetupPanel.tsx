// The model endpoint and providers: opens by itself on a first run when no model server answers
// (the server probes the endpoint in use and the usual local ports), and later from the header
// or the command palette. Test a URL and key, pick a model, save: the next message uses it.
import { Dialog } from "radix-ui";
import { useEffect, useState } from "react";
import type { EndpointProbe } from "../../generated/types";
import { useProviders, usePutSetting, useSaveEndpoint, useSettings, useSetup, useTestEndpoint } from "../../lib/queries";
import { useQueryClient } from "@tanstack/react-query";
import { client, unwrap } from "../../lib/api";

function ProbeRow({ probe, inUse, onUse }: { probe: EndpointProbe; inUse: boolean; onUse: (url: string) => void }) {
  return (
    <li className="flex items-center gap-2 py-1 text-sm">
      <span aria-hidden className={`size-2.5 shrink-0 rounded-full ${probe.reachable ? "bg-ok" : "bg-muted/50"}`} />
      <span className="min-w-0 flex-1 truncate">
        <span className="font-medium">{probe.label}</span> <span className="font-mono text-xs text-muted">{probe.url}</span>
        <span className="block truncate text-xs text-muted">{probe.reachable ? `${probe.models.length} model${probe.models.length === 1 ? "" : "s"}: ${probe.models.slice(0, 3).join(", ")}` : "not answering"}</span>
      </span>
      {probe.reachable && !inUse && (
        <button type="button" className="btn" aria-label={`Use ${probe.label} at ${probe.url}`} onClick={() => onUse(probe.url)}>
          Use
        </button>
      )}
    </li>
  );
}

function WebSearchSetting() {
  const settings = useSettings();
  const put = usePutSetting();
  const saved = typeof settings.data?.searxng_url === "string" ? settings.data.searxng_url : "";
  const [url, setUrl] = useState(saved);
  useEffect(() => setUrl(saved), [saved]);
  return (
    <form
      className="flex flex-col gap-1 text-sm"
      onSubmit={(e) => {
        e.preventDefault();
        put.mutate({ key: "searxng_url", value: url.trim() ? url.trim() : null });
      }}
    >
      <label className="flex flex-col gap-1">
        SearXNG URL for web_search (chats with web access; empty: web_fetch only)
        <span className="flex gap-2">
          <input className="field min-w-0 flex-1" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="http://127.0.0.1:8888" />
          <button type="submit" className="btn" disabled={put.isPending || url.trim() === saved}>Save search URL</button>
        </span>
      </label>
      {put.error && <p role="alert" className="notice error">{put.error.message}</p>}
      {put.isSuccess && <p role="status" className="text-xs text-ok">Saved.</p>}
    </form>
  );
}

function Providers() {
  const providers = useProviders();
  const queries = useQueryClient();
  const [probing, setProbing] = useState(false);
  const refresh = async () => {
    setProbing(true);
    try {
      const fresh = await unwrap(client.GET("/api/providers", { params: { query: { refresh: true } } }));
      queries.setQueryData(["providers"], fresh);
    } finally {
      setProbing(false);
    }
  };
  return (
    <section aria-label="Providers" className="flex flex-col gap-1">
      <div className="flex items-center justify-between">
        <h3 className="text-sm font-semibold">Providers</h3>
        <button type="button" className="btn" onClick={() => void refresh()} disabled={probing}>
          {probing ? "Probing…" : "Probe again"}
        </button>
      </div>
      <ul className="text-sm">
        {(providers.data ?? []).map((p) => (
          <li key={p.name} className="flex flex-wrap gap-x-2 py-0.5">
            <span className="font-medium">{p.name === "boocode" ? "BooCode" : p.name}</span>
            <span className={p.state === "ready" ? "text-ok" : "text-warn"}>{p.state}</span>
            {p.version && <span className="text-muted">{p.version}</span>}
            {p.reason && <span className="text-xs text-muted">{p.reason}</span>}
            {p.install && <span className="text-xs text-muted">install: <code>{p.install}</code></span>}
          </li>
        ))}
      </ul>
      <p className="text-xs text-muted">Providers are configured in <code>[providers.NAME]</code> of the settings file.</p>
    </section>
  );
}

export function SetupPanel({ open, onOpenChange }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const setup = useSetup();
  const test = useTestEndpoint();
  const save = useSaveEndpoint();
  const current = setup.data?.endpoint;
  const [url, setUrl] = useState("");
  const [key, setKey] = useState("");
  const [model, setModel] = useState("");
  useEffect(() => {
    if (!current) return;
    setUrl(current.url);
    setModel(current.model ?? "");
  }, [current]);
  const models = test.data?.reachable ? test.data.models : (setup.data?.probes[0]?.reachable ? setup.data.probes[0].models : []);
  // An untouched key field keeps the saved key; a typed one replaces it.
  const body = () => ({ url: url.trim(), model: model.trim() || undefined, ...(key ? { api_key: key } : {}) });
  return (
    <Dialog.Root
      open={open}
      onOpenChange={(next) => {
        // Each opening starts clean: no verdict left from an earlier test or save.
        test.reset();
        save.reset();
        onOpenChange(next);
      }}
    >
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-black/50" />
        <Dialog.Content className="fixed left-1/2 top-[5vh] z-50 flex max-h-[90vh] w-[min(94vw,620px)] -translate-x-1/2 flex-col gap-4 overflow-auto rounded-lg border border-line bg-panel p-4 shadow-xl">
          <Dialog.Title className="text-base font-semibold">Model and providers</Dialog.Title>
          <Dialog.Description className="text-sm text-muted">
            {setup.data && !setup.data.ready
              ? "No model server answers at the configured address. Start one, or enter the address of one you have."
              : "The OpenAI-compatible endpoint BooCode's own loop uses, and the agents it can run."}
          </Dialog.Description>
          {setup.isLoading && <p role="status" className="text-sm text-muted">Looking for model servers…</p>}
          {setup.data && (
            <section aria-label="Model servers found">
              <h3 className="text-sm font-semibold">Model servers</h3>
              <ul>
                {setup.data.probes.map((p) => (
                  <ProbeRow key={p.url} probe={p} inUse={p.url === current?.url} onUse={(u) => { setUrl(u); test.reset(); }} />
                ))}
              </ul>
            </section>
          )}
          <form
            className="flex flex-col gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              save.mutate(body(), { onSuccess: () => setKey("") });
            }}
          >
            <label className="flex flex-col gap-1 text-sm">
              Endpoint URL
              <input className="field font-mono" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="http://127.0.0.1:8080" required />
            </label>
            <label className="flex flex-col gap-1 text-sm">
              API key
              <input className="field" type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} placeholder={current?.has_key ? "saved (leave empty to keep)" : "none"} />
            </label>
            <label className="flex flex-col gap-1 text-sm">
              Default model
              <select className="field" value={model} onChange={(e) => setModel(e.target.value)}>
                <option value="">Let the server choose</option>
                {model && !models.includes(model) && <option value={model}>{model}</option>}
                {models.map((m) => (
                  <option key={m} value={m}>{m}</option>
                ))}
              </select>
            </label>
            <div className="flex flex-wrap items-center gap-2">
              <button type="button" className="btn" disabled={!url.trim() || test.isPending} onClick={() => test.mutate(body())}>
                {test.isPending ? "Testing…" : "Test"}
              </button>
              <button type="submit" className="btn primary" disabled={!url.trim() || save.isPending}>Save and use</button>
              {test.data && (
                <span role="status" className={`text-sm ${test.data.reachable ? "text-ok" : "text-err"}`}>
                  {test.data.reachable ? `Answered: ${test.data.models.length} model${test.data.models.length === 1 ? "" : "s"}` : `No answer: ${test.data.error ?? "unknown error"}`}
                </span>
              )}
              {save.isSuccess && <span role="status" className="text-sm text-ok">Saved: new messages use it.</span>}
            </div>
            {(test.error ?? save.error) && <p role="alert" className="notice error">{(test.error ?? save.error)?.message}</p>}
          </form>
          <details className="text-sm">
            <summary className="cursor-pointer">How to start a local model</summary>
            <ul className="mt-2 list-disc pl-5 text-muted">
              <li>llama.cpp: <code>llama-server -m model.gguf --port 8080 --jinja</code></li>
              <li>Ollama: <code>ollama serve</code>, then <code>ollama pull qwen2.5-coder</code> (port 11434)</li>
              <li>LM Studio: start its local server (port 1234)</li>
              <li>vLLM: <code>vllm serve MODEL --port 8000</code></li>
            </ul>
          </details>
          <WebSearchSetting />
          <Providers />
          <div className="flex justify-end">
            <Dialog.Close asChild>
              <button type="button" className="btn">Close</button>
            </Dialog.Close>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
