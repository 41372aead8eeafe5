//! Projects, sessions and chats: create, rename, archive, unarchive, list; workspace panes.

use crate::db::{Store, with_pool};
use crate::error::{StoreError, check_name};
use boocode_core::{
    Chat, ChatId, ChatMode, NATIVE_PROVIDER, Project, ProjectId, ProjectSettings, Session,
    SessionId, Thinking, ToolTier, now_ms,
};
use sqlx::Row;

/// Longest project name, session title or chat title, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest project root path, in bytes.
pub const MAX_ROOT_BYTES: usize = 4096;
/// Largest workspace-panes document, in bytes.
pub const MAX_PANES_BYTES: usize = 256 * 1024;

/// The three tables that can be renamed and archived.
#[derive(Debug, Clone, Copy)]
enum Table {
    Projects,
    Sessions,
    Chats,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Projects => "projects",
            Table::Sessions => "sessions",
            Table::Chats => "chats",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Table::Projects => "project",
            Table::Sessions => "session",
            Table::Chats => "chat",
        }
    }

    /// The column renamed by `rename`.
    fn title_column(self) -> &'static str {
        match self {
            Table::Projects => "name",
            Table::Sessions | Table::Chats => "title",
        }
    }
}

fn parse_id<T: std::str::FromStr>(what: &'static str, raw: &str) -> Result<T, StoreError> {
    raw.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what} id {raw:?} is not a UUID")))
}

macro_rules! project_from_row {
    ($row:expr) => {{
        let row = &$row;
        Project {
            id: parse_id("project", &row.try_get::<String, _>("id")?)?,
            name: row.try_get("name")?,
            root: row.try_get("root")?,
            created_at: row.try_get("created_at")?,
            archived: row.try_get("archived")?,
            settings: serde_json::from_str(&row.try_get::<String, _>("settings")?)
                .map_err(|e| StoreError::Corrupt(format!("project settings: {e}")))?,
        }
    }};
}

macro_rules! session_from_row {
    ($row:expr) => {{
        let row = &$row;
        Session {
            id: parse_id("session", &row.try_get::<String, _>("id")?)?,
            project_id: parse_id("project", &row.try_get::<String, _>("project_id")?)?,
            title: row.try_get("title")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            archived: row.try_get("archived")?,
        }
    }};
}

macro_rules! chat_from_row {
    ($row:expr) => {{
        let row = &$row;
        Chat {
            id: parse_id("chat", &row.try_get::<String, _>("id")?)?,
            session_id: parse_id("session", &row.try_get::<String, _>("session_id")?)?,
            title: row.try_get("title")?,
            agent: row.try_get("agent")?,
            provider: row.try_get("provider")?,
            mode: row
                .try_get::<String, _>("mode")?
                .parse()
                .map_err(StoreError::Corrupt)?,
            model: row.try_get("model")?,
            thinking: match row.try_get::<Option<String>, _>("thinking")? {
                Some(t) => Some(t.parse().map_err(StoreError::Corrupt)?),
                None => None,
            },
            web: row.try_get("web")?,
            tool_tier: match row.try_get::<Option<String>, _>("tool_tier")? {
                Some(t) => Some(t.parse().map_err(StoreError::Corrupt)?),
                None => None,
            },
            worktree: row.try_get("worktree_id")?,
            workdir: row.try_get("workdir")?,
            parent: match row.try_get::<Option<String>, _>("parent_chat_id")? {
                Some(id) => Some(parse_id("chat", &id)?),
                None => None,
            },
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            archived: row.try_get("archived")?,
        }
    }};
}

impl Store {
    async fn rename(&self, table: Table, id: &str, title: &str) -> Result<(), StoreError> {
        check_name(
            table.title_column(),
            title,
            MAX_NAME_CHARS,
            table.title_column() == "title",
        )?;
        let sql = format!(
            "UPDATE {} SET {} = $1 WHERE id = $2",
            table.name(),
            table.title_column()
        );
        let done = with_pool!(self, pool => sqlx::query(&sql).bind(title.trim()).bind(id).execute(pool).await?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound {
                what: table.what(),
                id: id.to_owned(),
            });
        }
        Ok(())
    }

    async fn set_archived(&self, table: Table, id: &str, archived: bool) -> Result<(), StoreError> {
        let sql = format!("UPDATE {} SET archived = $1 WHERE id = $2", table.name());
        let done = with_pool!(self, pool => sqlx::query(&sql).bind(archived).bind(id).execute(pool).await?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound {
                what: table.what(),
                id: id.to_owned(),
            });
        }
        Ok(())
    }

    // ---- projects ----

    /// Adds a project. `root` is the absolute path of its directory; it must be unique.
    pub async fn create_project(&self, name: &str, root: &str) -> Result<Project, StoreError> {
        check_name("name", name, MAX_NAME_CHARS, false)?;
        if root.is_empty() || root.len() > MAX_ROOT_BYTES || root.contains('\0') {
            return Err(StoreError::Invalid {
                field: "root",
                message: format!("must be a path of 1 to {MAX_ROOT_BYTES} bytes without NUL"),
            });
        }
        let project = Project {
            id: ProjectId::new(),
            name: name.trim().to_owned(),
            root: root.to_owned(),
            created_at: now_ms(),
            archived: false,
            settings: ProjectSettings::default(),
        };
        let result = with_pool!(self, pool => sqlx::query(
            "INSERT INTO projects (id, name, root, created_at, archived) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(project.id.to_string())
        .bind(&project.name)
        .bind(&project.root)
        .bind(project.created_at)
        .bind(false)
        .execute(pool)
        .await
        .map(|_| ()));
        match result {
            Ok(_) => Ok(project),
            Err(e) => match StoreError::from(e) {
                StoreError::Conflict(_) => Err(StoreError::Conflict(format!(
                    "a project already uses {root}"
                ))),
                other => Err(other),
            },
        }
    }

    /// The project at `root` (an absolute, canonical path): found (and unarchived), or
    /// registered under the directory's name.
    pub async fn project_at(&self, root: &str) -> Result<Project, StoreError> {
        let projects = self.list_projects(true).await?;
        if let Some(project) = projects.into_iter().find(|p| p.root == root) {
            if project.archived {
                self.set_project_archived(project.id, false).await?;
            }
            return Ok(Project {
                archived: false,
                ..project
            });
        }
        let name = std::path::Path::new(root)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "project".into());
        self.create_project(&name, root).await
    }

    /// One project.
    pub async fn get_project(&self, id: ProjectId) -> Result<Project, StoreError> {
        let row = with_pool!(self, pool => {
            let row = sqlx::query("SELECT * FROM projects WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?;
            match row {
                Some(row) => Some(project_from_row!(row)),
                None => None,
            }
        });
        row.ok_or_else(|| StoreError::NotFound {
            what: "project",
            id: id.to_string(),
        })
    }

    /// Projects by name; archived ones only when asked.
    pub async fn list_projects(&self, include_archived: bool) -> Result<Vec<Project>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query("SELECT * FROM projects WHERE archived = FALSE OR $1 ORDER BY name, created_at")
                .bind(include_archived)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| Ok(project_from_row!(row))).collect()
        })
    }

    /// Replaces a project's chat defaults and read grants (checked: at most
    /// [`MAX_READ_GRANTS`] absolute paths without NUL); returns the project.
    pub async fn set_project_settings(
        &self,
        id: ProjectId,
        settings: &ProjectSettings,
    ) -> Result<Project, StoreError> {
        check_project_settings(settings)?;
        let text = serde_json::to_string(settings)
            .map_err(|e| StoreError::Corrupt(format!("project settings: {e}")))?;
        let n = with_pool!(self, pool => sqlx::query("UPDATE projects SET settings = $1 WHERE id = $2")
            .bind(text)
            .bind(id.to_string())
            .execute(pool)
            .await?
            .rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "project",
                id: id.to_string(),
            });
        }
        self.get_project(id).await
    }

    /// Renames a project.
    pub async fn rename_project(&self, id: ProjectId, name: &str) -> Result<(), StoreError> {
        self.rename(Table::Projects, &id.to_string(), name).await
    }

    /// Archives or unarchives a project.
    pub async fn set_project_archived(
        &self,
        id: ProjectId,
        archived: bool,
    ) -> Result<(), StoreError> {
        self.set_archived(Table::Projects, &id.to_string(), archived)
            .await
    }

    // ---- sessions ----

    /// Starts a session on a project.
    pub async fn create_session(
        &self,
        project_id: ProjectId,
        title: &str,
    ) -> Result<Session, StoreError> {
        check_name("title", title, MAX_NAME_CHARS, true)?;
        let now = now_ms();
        let session = Session {
            id: SessionId::new(),
            project_id,
            title: title.trim().to_owned(),
            created_at: now,
            updated_at: now,
            archived: false,
        };
        let result = with_pool!(self, pool => sqlx::query(
            "INSERT INTO sessions (id, project_id, title, created_at, updated_at, archived) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(session.id.to_string())
        .bind(project_id.to_string())
        .bind(&session.title)
        .bind(now)
        .bind(now)
        .bind(false)
        .execute(pool)
        .await
        .map(|_| ()));
        result.map_err(|e| missing_parent(e, "project", project_id.to_string()))?;
        Ok(session)
    }

    /// One session.
    pub async fn get_session(&self, id: SessionId) -> Result<Session, StoreError> {
        let row = with_pool!(self, pool => {
            let row = sqlx::query("SELECT * FROM sessions WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?;
            match row {
                Some(row) => Some(session_from_row!(row)),
                None => None,
            }
        });
        row.ok_or_else(|| StoreError::NotFound {
            what: "session",
            id: id.to_string(),
        })
    }

    /// A project's sessions, most recently active first.
    pub async fn list_sessions(
        &self,
        project_id: ProjectId,
        include_archived: bool,
    ) -> Result<Vec<Session>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM sessions WHERE project_id = $1 AND (archived = FALSE OR $2) ORDER BY updated_at DESC, id",
            )
            .bind(project_id.to_string())
            .bind(include_archived)
            .fetch_all(pool)
            .await?;
            rows.iter().map(|row| Ok(session_from_row!(row))).collect()
        })
    }

    /// Renames a session.
    pub async fn rename_session(&self, id: SessionId, title: &str) -> Result<(), StoreError> {
        self.rename(Table::Sessions, &id.to_string(), title).await
    }

    /// Archives or unarchives a session.
    pub async fn set_session_archived(
        &self,
        id: SessionId,
        archived: bool,
    ) -> Result<(), StoreError> {
        self.set_archived(Table::Sessions, &id.to_string(), archived)
            .await
    }

    /// Saves a session's workspace layout (any JSON document up to 256 KiB).
    pub async fn save_panes(
        &self,
        id: SessionId,
        panes: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let text = panes.to_string();
        if text.len() > MAX_PANES_BYTES {
            return Err(StoreError::Invalid {
                field: "panes",
                message: format!("is {} bytes; the limit is {MAX_PANES_BYTES}", text.len()),
            });
        }
        let done = with_pool!(self, pool => sqlx::query("UPDATE sessions SET panes = $1 WHERE id = $2")
            .bind(text)
            .bind(id.to_string())
            .execute(pool)
            .await?
            .rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound {
                what: "session",
                id: id.to_string(),
            });
        }
        Ok(())
    }

    /// A session's workspace layout, if one was saved.
    pub async fn load_panes(&self, id: SessionId) -> Result<Option<serde_json::Value>, StoreError> {
        let text: Option<Option<String>> = with_pool!(self, pool => sqlx::query_scalar("SELECT panes FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(pool)
            .await?);
        match text {
            None => Err(StoreError::NotFound {
                what: "session",
                id: id.to_string(),
            }),
            Some(None) => Ok(None),
            Some(Some(text)) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("panes of session {id}: {e}"))),
        }
    }

    // ---- chats ----

    /// Opens a chat in a session, on BooCode's own loop in `ask` mode.
    pub async fn create_chat(
        &self,
        session_id: SessionId,
        title: &str,
        agent: Option<&str>,
    ) -> Result<Chat, StoreError> {
        let settings = ChatSettings {
            agent: agent.map(str::to_owned),
            ..ChatSettings::default()
        };
        self.create_chat_with(session_id, title, &settings).await
    }

    /// Opens a chat in a session with its provider, mode, model, thinking level and agent.
    pub async fn create_chat_with(
        &self,
        session_id: SessionId,
        title: &str,
        settings: &ChatSettings,
    ) -> Result<Chat, StoreError> {
        check_name("title", title, MAX_NAME_CHARS, true)?;
        settings.check()?;
        let now = now_ms();
        let chat = Chat {
            id: ChatId::new(),
            session_id,
            title: title.trim().to_owned(),
            agent: settings.agent.clone(),
            provider: settings.provider.clone(),
            mode: settings.mode,
            model: settings.model.clone(),
            thinking: settings.thinking,
            web: settings.web,
            tool_tier: settings.tool_tier,
            worktree: None,
            workdir: None,
            parent: None,
            created_at: now,
            updated_at: now,
            archived: false,
        };
        let result = with_pool!(self, pool => sqlx::query(
            "INSERT INTO chats (id, session_id, title, agent, provider, mode, model, thinking, web, tool_tier, created_at, updated_at, archived) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(chat.id.to_string())
        .bind(session_id.to_string())
        .bind(&chat.title)
        .bind(&chat.agent)
        .bind(&chat.provider)
        .bind(chat.mode.as_str())
        .bind(&chat.model)
        .bind(chat.thinking.map(Thinking::as_str))
        .bind(chat.web)
        .bind(chat.tool_tier.map(ToolTier::as_str))
        .bind(now)
        .bind(now)
        .bind(false)
        .execute(pool)
        .await
        .map(|_| ()));
        result.map_err(|e| missing_parent(e, "session", session_id.to_string()))?;
        Ok(chat)
    }

    /// Records the isolated worktree chat `id` works in: its id and directory. For the
    /// runtime, which made the worktree; never taken from a client.
    pub async fn set_chat_worktree(
        &self,
        id: ChatId,
        worktree_id: &str,
        workdir: &str,
    ) -> Result<(), StoreError> {
        let done = with_pool!(self, pool => sqlx::query(
            "UPDATE chats SET worktree_id = $1, workdir = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(worktree_id)
        .bind(workdir)
        .bind(now_ms())
        .bind(id.to_string())
        .execute(pool)
        .await?
        .rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound {
                what: "chat",
                id: id.to_string(),
            });
        }
        Ok(())
    }

    /// Records that chat `id` was delegated by chat `parent` (a Boomerang child). For the
    /// runtime, which started the child; never taken from a client.
    pub async fn set_chat_parent(&self, id: ChatId, parent: ChatId) -> Result<(), StoreError> {
        let done = with_pool!(self, pool => sqlx::query(
            "UPDATE chats SET parent_chat_id = $1, updated_at = $2 WHERE id = $3",
        )
        .bind(parent.to_string())
        .bind(now_ms())
        .bind(id.to_string())
        .execute(pool)
        .await?
        .rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound {
                what: "chat",
                id: id.to_string(),
            });
        }
        Ok(())
    }

    /// One chat.
    pub async fn get_chat(&self, id: ChatId) -> Result<Chat, StoreError> {
        let row = with_pool!(self, pool => {
            let row = sqlx::query("SELECT * FROM chats WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?;
            match row {
                Some(row) => Some(chat_from_row!(row)),
                None => None,
            }
        });
        row.ok_or_else(|| StoreError::NotFound {
            what: "chat",
            id: id.to_string(),
        })
    }

    /// A session's chats, oldest first.
    pub async fn list_chats(
        &self,
        session_id: SessionId,
        include_archived: bool,
    ) -> Result<Vec<Chat>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM chats WHERE session_id = $1 AND (archived = FALSE OR $2) ORDER BY created_at, id",
            )
            .bind(session_id.to_string())
            .bind(include_archived)
            .fetch_all(pool)
            .await?;
            rows.iter().map(|row| Ok(chat_from_row!(row))).collect()
        })
    }

    /// Replaces a chat's provider, mode, model, thinking level and agent; the next turn uses
    /// them.
    pub async fn set_chat_settings(
        &self,
        id: ChatId,
        settings: &ChatSettings,
    ) -> Result<Chat, StoreError> {
        settings.check()?;
        let n = with_pool!(self, pool => sqlx::query(
            "UPDATE chats SET agent = $1, provider = $2, mode = $3, model = $4, thinking = $5, web = $6, tool_tier = $7, updated_at = $8 WHERE id = $9",
        )
        .bind(&settings.agent)
        .bind(&settings.provider)
        .bind(settings.mode.as_str())
        .bind(&settings.model)
        .bind(settings.thinking.map(Thinking::as_str))
        .bind(settings.web)
        .bind(settings.tool_tier.map(ToolTier::as_str))
        .bind(now_ms())
        .bind(id.to_string())
        .execute(pool)
        .await?
        .rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "chat",
                id: id.to_string(),
            });
        }
        self.get_chat(id).await
    }

    /// Renames a chat.
    pub async fn rename_chat(&self, id: ChatId, title: &str) -> Result<(), StoreError> {
        self.rename(Table::Chats, &id.to_string(), title).await
    }

    /// Archives or unarchives a chat.
    pub async fn set_chat_archived(&self, id: ChatId, archived: bool) -> Result<(), StoreError> {
        self.set_archived(Table::Chats, &id.to_string(), archived)
            .await
    }
}

/// What a chat runs with: provider, mode, model, thinking level and agent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChatSettings {
    /// The agent definition, if any.
    pub agent: Option<String>,
    /// Who runs the turns ([`NATIVE_PROVIDER`] by default).
    pub provider: String,
    /// What the agent may do to files.
    pub mode: ChatMode,
    /// The model, when not the provider's default.
    pub model: Option<String>,
    /// How much the model thinks, when not the default.
    pub thinking: Option<Thinking>,
    /// Web access; `None` follows the project.
    pub web: Option<bool>,
    /// Tool tier; `None` follows the project.
    pub tool_tier: Option<ToolTier>,
}

impl Default for ChatSettings {
    fn default() -> Self {
        Self {
            agent: None,
            provider: NATIVE_PROVIDER.to_owned(),
            mode: ChatMode::Ask,
            model: None,
            thinking: None,
            web: None,
            tool_tier: None,
        }
    }
}

impl ChatSettings {
    /// The settings `chat` runs with now.
    pub fn of(chat: &Chat) -> Self {
        Self {
            agent: chat.agent.clone(),
            provider: chat.provider.clone(),
            mode: chat.mode,
            model: chat.model.clone(),
            thinking: chat.thinking,
            web: chat.web,
            tool_tier: chat.tool_tier,
        }
    }

    /// Checks the names' lengths and characters (as creating or updating a chat does), so a
    /// caller can refuse bad settings before it writes anything.
    pub fn check(&self) -> Result<(), StoreError> {
        check_name("provider", &self.provider, MAX_NAME_CHARS, true)?;
        for (field, value) in [("agent", &self.agent), ("model", &self.model)] {
            if let Some(value) = value {
                check_name(field, value, MAX_NAME_CHARS, false)?;
            }
        }
        Ok(())
    }
}

/// Most read grants a project may hold.
pub const MAX_READ_GRANTS: usize = 32;

fn check_project_settings(settings: &ProjectSettings) -> Result<(), StoreError> {
    let invalid = |message: String| StoreError::Invalid {
        field: "read_grants",
        message,
    };
    if settings.read_grants.len() > MAX_READ_GRANTS {
        return Err(invalid(format!("at most {MAX_READ_GRANTS} directories")));
    }
    for grant in &settings.read_grants {
        if grant.is_empty() || grant.len() > MAX_ROOT_BYTES || grant.contains('\0') {
            return Err(invalid(format!(
                "each must be a path of 1 to {MAX_ROOT_BYTES} bytes without NUL"
            )));
        }
        if !std::path::Path::new(grant).is_absolute() {
            return Err(invalid(format!("{grant:?} is not an absolute path")));
        }
    }
    Ok(())
}

/// A foreign-key failure on insert means the parent id is unknown.
pub(crate) fn missing_parent(e: sqlx::Error, what: &'static str, id: String) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::NotFound { what, id }
        }
        _ => StoreError::from(e),
    }
}
