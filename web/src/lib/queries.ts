// Server state through TanStack Query: one hook per resource, keys in one place, so a frame on the
// user channel can refresh exactly what it changed.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { components } from "../generated/api";
import type { AgentInfo, Chat, SkillList, TerminalInfo, EndpointProbe, EndpointSettings, EndpointView, ModelList, Project, ProjectSettings, ProviderInfo, Session, SessionCreated, SessionView, SetupState } from "../generated/types";
import { ApiError, client, unwrap, unwrapAs } from "./api";

/** What a chat's PATCH may change (provider, mode, model, thinking, agent, web, tool tier). */
export type ChatPatch = components["schemas"]["SettingsBody"];

export const keys = {
  projects: ["projects"] as const,
  sessions: (projectId: string) => ["projects", projectId, "sessions"] as const,
  session: (sessionId: string) => ["sessions", sessionId] as const,
  // Not under the session's key: refreshing a session (a new chat) must not reload its layout.
  workspace: (sessionId: string) => ["workspace", sessionId] as const,
  dir: (projectId: string, path: string) => ["projects", projectId, "files", path] as const,
  file: (projectId: string, path: string) => ["projects", projectId, "file", path] as const,
  setup: ["setup"] as const,
  settings: ["settings"] as const,
};

export function useProjects() {
  return useQuery({
    queryKey: keys.projects,
    queryFn: () => unwrapAs<Project[]>(client.GET("/api/projects")),
  });
}

/** A project's sessions, as a query (for `useQuery` or `useQueries`). */
export function sessionsQuery(projectId: string) {
  return {
    queryKey: keys.sessions(projectId),
    queryFn: () => unwrapAs<Session[]>(client.GET("/api/projects/{id}/sessions", { params: { path: { id: projectId } } })),
  };
}

export function useSessions(projectId: string) {
  return useQuery(sessionsQuery(projectId));
}

export function useSession(sessionId: string | undefined) {
  return useQuery({
    queryKey: keys.session(sessionId ?? ""),
    queryFn: () => unwrapAs<SessionView>(client.GET("/api/sessions/{id}", { params: { path: { id: sessionId ?? "" } } })),
    enabled: Boolean(sessionId),
  });
}

/** Adds a project: an existing folder by path, or a new one by name (under the projects folder). */
export function useAddProject() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (pathOrName: string) =>
      unwrapAs<Project>(client.POST("/api/projects", { body: pathOrName.includes("/") ? { path: pathOrName } : { name: pathOrName, create: true } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: keys.projects }),
  });
}

export function useNewSession() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (projectId: string) => unwrapAs<SessionCreated>(client.POST("/api/projects/{id}/sessions", { params: { path: { id: projectId } }, body: {} })),
    onSuccess: (created) => queries.invalidateQueries({ queryKey: keys.sessions(created.session.project_id) }),
  });
}

/** Renames or archives a session. */
export function usePatchSession() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: ({ id, ...patch }: { id: string; title?: string; archived?: boolean }) =>
      unwrapAs<Session>(client.PATCH("/api/sessions/{id}", { params: { path: { id } }, body: patch })),
    onSuccess: (session: Session) => {
      void queries.invalidateQueries({ queryKey: keys.sessions(session.project_id) });
      void queries.invalidateQueries({ queryKey: keys.session(session.id) });
    },
  });
}

export function useNewChat(sessionId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: () => unwrapAs<Chat>(client.POST("/api/sessions/{id}/chats", { params: { path: { id: sessionId } }, body: {} })),
    onSuccess: (chat: Chat) => void queries.invalidateQueries({ queryKey: keys.session(chat.session_id) }),
  });
}

export function useDir(projectId: string, path: string) {
  return useQuery({
    queryKey: keys.dir(projectId, path),
    queryFn: () => unwrap(client.GET("/api/projects/{id}/files", { params: { path: { id: projectId }, query: { path } } })),
  });
}

export function useFile(projectId: string, path: string | null) {
  return useQuery({
    queryKey: keys.file(projectId, path ?? ""),
    queryFn: () => unwrap(client.GET("/api/projects/{id}/file", { params: { path: { id: projectId }, query: { path: path ?? "" } } })),
    enabled: path !== null,
  });
}

/** The providers and whether each can run here (probed by the server, kept for a while). */
export function useProviders() {
  return useQuery({
    queryKey: ["providers"],
    queryFn: () => unwrapAs<ProviderInfo[]>(client.GET("/api/providers")),
    staleTime: 5 * 60_000,
  });
}

/** The model server's models (for BooCode's own loop). */
export function useModels() {
  return useQuery({
    queryKey: ["models"],
    queryFn: () => unwrapAs<ModelList>(client.GET("/api/models")),
    staleTime: 5 * 60_000,
    retry: false,
  });
}

/** Changes a chat's provider, mode, model or thinking level: from its next turn on. */
export function usePatchChat(chatId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (patch: ChatPatch) =>
      unwrapAs<Chat>(client.PATCH("/api/chats/{id}", { params: { path: { id: chatId } }, body: patch })),
    onSuccess: (chat) => void queries.invalidateQueries({ queryKey: keys.session(chat.session_id) }),
  });
}

/** Replaces a project's chat defaults (web access, tool tier) and read grants. */
export function usePatchProject(projectId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (settings: ProjectSettings) =>
      unwrapAs<Project>(client.PATCH("/api/projects/{id}", { params: { path: { id: projectId } }, body: { settings } })),
    onSuccess: () => void queries.invalidateQueries({ queryKey: keys.projects }),
  });
}

/** The model endpoint in use and what answers on the usual local ports. */
export function useSetup() {
  return useQuery({
    queryKey: keys.setup,
    queryFn: () => unwrapAs<SetupState>(client.GET("/api/setup")),
    staleTime: 60_000,
    retry: false,
  });
}

/** Tries an endpoint (URL and key) without saving it. */
export function useTestEndpoint() {
  return useMutation({
    mutationFn: (body: EndpointSettings) => unwrapAs<EndpointProbe>(client.POST("/api/setup/test", { body })),
  });
}

/** Saves the endpoint; the server uses it from the next message on. */
export function useSaveEndpoint() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (body: EndpointSettings) => unwrapAs<EndpointView>(client.PUT("/api/setup/endpoint", { body })),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: keys.setup });
      void queries.invalidateQueries({ queryKey: ["models"] });
    },
  });
}

/** The server's stored settings (the endpoint's key is never included). */
export function useSettings() {
  return useQuery({
    queryKey: keys.settings,
    queryFn: () => unwrapAs<Record<string, unknown>>(client.GET("/api/settings")),
  });
}

/** Sets one stored setting, or removes it when `value` is null. */
export function usePutSetting() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async ({ key, value }: { key: string; value: unknown }) => {
      if (value === null) {
        // Removing a setting that is not there is what was asked for.
        const { response } = await client.DELETE("/api/settings/{key}", { params: { path: { key } } });
        if (!response.ok && response.status !== 404) throw new ApiError(response.status, "error", response.statusText);
        return;
      }
      await unwrap(client.PUT("/api/settings/{key}", { params: { path: { key } }, body: value as Record<string, never> }));
    },
    onSuccess: () => void queries.invalidateQueries({ queryKey: keys.settings }),
  });
}

/** The agent definitions a project's chats may run with, each with its tool whitelist. */
export function useAgents(projectId: string | undefined) {
  return useQuery({
    queryKey: ["projects", projectId ?? "", "agents"],
    queryFn: () => unwrapAs<AgentInfo[]>(client.GET("/api/projects/{id}/agents", { params: { path: { id: projectId ?? "" } } })),
    enabled: Boolean(projectId),
  });
}

/** The skills a project's chats may load (`$name` in a message), and what was skipped. */
export function useSkills(projectId: string | undefined) {
  return useQuery({
    queryKey: ["projects", projectId ?? "", "skills"],
    queryFn: () => unwrapAs<SkillList>(client.GET("/api/projects/{id}/skills", { params: { path: { id: projectId ?? "" } } })),
    enabled: Boolean(projectId),
    staleTime: 30_000,
  });
}

/** Starts a terminal in the session (the user's shell in the project root). */
export function useNewTerminal(sessionId: string) {
  return useMutation({
    mutationFn: () => unwrapAs<TerminalInfo>(client.POST("/api/sessions/{id}/terminals", { params: { path: { id: sessionId } }, body: {} })),
  });
}
