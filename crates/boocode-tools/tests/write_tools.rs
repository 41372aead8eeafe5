//! The write tools and the pending-changes queue on a real directory, with the in-memory queue
//! and the SQLite `Store`: proposals stack, apply writes atomically, external edits are refused
//! on apply and on rewind, a delete is undone with its mode, and a process killed mid-apply
//! leaves the old file or the new one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use boocode_core::{
    ChangeQueue, ChangeScope, ChangeState, MemoryChangeQueue, ToolContext, ToolSet,
};
use boocode_store::Store;
use boocode_tools::{
    PathGuard, ToolEnv, WriteMode, apply_pending, reject_pending, rewind, write_tools,
};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

/// Where a fixture keeps its queue.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Backing {
    Memory,
    Sqlite,
    Postgres,
}

struct Fixture {
    dir: tempfile::TempDir,
    env: Arc<ToolEnv>,
    queue: Arc<dyn ChangeQueue>,
    scope: ChangeScope,
    tools: ToolSet,
    // Keep the SQLite file or the Postgres database alive.
    _db: Option<tempfile::TempDir>,
    _pg: Option<boocode_testkit::PgTestDb>,
}

impl Fixture {
    fn path(&self, rel: &str) -> std::path::PathBuf {
        self.dir.path().join(rel)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    async fn call(&self, tool: &str, args: serde_json::Value) -> Result<String, String> {
        let ctx = ToolContext::new("t");
        self.tools
            .get(tool)
            .unwrap()
            .execute(args, &ctx)
            .await
            .map(|o| o.content)
            .map_err(|e| e.to_string())
    }

    async fn states(&self) -> Vec<(String, ChangeState)> {
        self.queue
            .list(&self.scope)
            .await
            .unwrap()
            .into_iter()
            .map(|c| (c.path, c.state))
            .collect()
    }
}

async fn fixture(durable: bool, mode: WriteMode) -> Fixture {
    let backing = if durable {
        Backing::Sqlite
    } else {
        Backing::Memory
    };
    fixture_on(backing, mode).await.unwrap()
}

/// `None` when Postgres is not reachable outside CI (testkit says so loudly).
async fn fixture_on(backing: Backing, mode: WriteMode) -> Option<Fixture> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "one\ntwo\nthree\n").unwrap();
    std::fs::write(dir.path().join(".env"), "SECRET=1\n").unwrap();
    let env = Arc::new(ToolEnv::new(PathGuard::new(dir.path()).unwrap()));
    let (mut db, mut pg) = (None, None);
    // A durable queue files changes under a chat that exists.
    async fn chat_in(store: &Store) -> boocode_core::ChatId {
        let project = store
            .create_project("p", &format!("/src/{}", uuid_like()))
            .await
            .unwrap();
        let session = store.create_session(project.id, "s").await.unwrap();
        store.create_chat(session.id, "c", None).await.unwrap().id
    }
    let (queue, chat): (Arc<dyn ChangeQueue>, boocode_core::ChatId) = match backing {
        Backing::Memory => (
            Arc::new(MemoryChangeQueue::new()),
            boocode_core::ChatId::new(),
        ),
        Backing::Sqlite => {
            let tmp = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", tmp.path().join("q.db").display());
            db = Some(tmp);
            let store = Store::connect(&url).await.unwrap();
            let chat = chat_in(&store).await;
            (Arc::new(store), chat)
        }
        Backing::Postgres => {
            let test_db = boocode_testkit::PgTestDb::create().await?;
            let store = Store::connect(test_db.url()).await.unwrap();
            pg = Some(test_db);
            let chat = chat_in(&store).await;
            (Arc::new(store), chat)
        }
    };
    let scope = ChangeScope(chat);
    let tools = write_tools(env.clone(), queue.clone(), scope, mode);
    Some(Fixture {
        dir,
        env,
        queue,
        scope,
        tools,
        _db: db,
        _pg: pg,
    })
}

async fn edits_stack_and_apply(backing: Backing) {
    let Some(f) = fixture_on(backing, WriteMode::Review).await else {
        return;
    };
    let out = f
        .call(
            "edit_file",
            json!({"path": "a.txt", "old_string": "two", "new_string": "TWO"}),
        )
        .await
        .unwrap();
    assert!(out.contains("-two\n+TWO"), "{out}");
    assert!(out.contains("pending review"), "{out}");
    // The second edit sees the first proposal, not the disk.
    let out = f
        .call(
            "edit_file",
            json!({"path": "a.txt", "old_string": "TWO\nthree", "new_string": "TWO\n3"}),
        )
        .await
        .unwrap();
    assert!(out.contains("-three\n+3"), "{out}");
    f.call(
        "create_file",
        json!({"path": "src/new.rs", "content": "fn main() {}\n"}),
    )
    .await
    .unwrap();
    assert_eq!(
        f.read("a.txt"),
        "one\ntwo\nthree\n",
        "nothing written before apply"
    );
    assert!(!f.path("src").exists());
    assert_eq!(
        f.states().await,
        [
            ("a.txt".into(), ChangeState::Pending),
            ("a.txt".into(), ChangeState::Pending),
            ("src/new.rs".into(), ChangeState::Pending)
        ]
    );

    let report = apply_pending(&f.env, f.queue.as_ref(), &f.scope, None)
        .await
        .unwrap();
    assert_eq!(report.done.len(), 3);
    assert!(report.refused.is_empty(), "{report:?}");
    assert_eq!(f.read("a.txt"), "one\nTWO\n3\n");
    assert_eq!(f.read("src/new.rs"), "fn main() {}\n");
    assert!(
        f.states()
            .await
            .iter()
            .all(|(_, s)| *s == ChangeState::Applied)
    );

    // Rewind restores both files, newest first.
    let report = rewind(&f.env, f.queue.as_ref(), &f.scope, None)
        .await
        .unwrap();
    assert_eq!(report.done.len(), 3, "{report:?}");
    assert_eq!(f.read("a.txt"), "one\ntwo\nthree\n");
    assert!(!f.path("src/new.rs").exists());
    assert!(
        f.states()
            .await
            .iter()
            .all(|(_, s)| *s == ChangeState::Reverted)
    );
}

#[tokio::test]
async fn edits_stack_apply_and_rewind_in_memory() {
    edits_stack_and_apply(Backing::Memory).await;
}

#[tokio::test]
async fn edits_stack_apply_and_rewind_on_sqlite() {
    edits_stack_and_apply(Backing::Sqlite).await;
}

#[tokio::test]
async fn edits_stack_apply_and_rewind_on_postgres() {
    edits_stack_and_apply(Backing::Postgres).await;
}

#[tokio::test]
async fn an_external_edit_after_the_proposal_is_refused_on_apply() {
    let f = fixture(true, WriteMode::Review).await;
    f.call(
        "edit_file",
        json!({"path": "a.txt", "old_string": "one", "new_string": "ONE"}),
    )
    .await
    .unwrap();
    f.call("create_file", json!({"path": "b.txt", "content": "bee\n"}))
        .await
        .unwrap();
    std::fs::write(f.path("a.txt"), "someone else\n").unwrap();
    let report = apply_pending(&f.env, f.queue.as_ref(), &f.scope, None)
        .await
        .unwrap();
    assert_eq!(report.done.len(), 1, "the other file still applies");
    assert_eq!(report.refused.len(), 1);
    assert_eq!(report.refused[0].path, "a.txt");
    assert!(
        report.refused[0].reason.contains("changed on disk"),
        "{report:?}"
    );
    // Both versions are shown: the file as it is now, and the chat's.
    let conflict = report.refused[0].conflict.as_deref().unwrap();
    assert!(conflict.contains("-someone else"), "{conflict}");
    assert!(conflict.contains("+ONE"), "{conflict}");
    assert_eq!(
        f.read("a.txt"),
        "someone else\n",
        "nothing of the file was written"
    );
    assert_eq!(f.read("b.txt"), "bee\n");
    assert_eq!(
        f.states().await,
        [
            ("a.txt".into(), ChangeState::Pending),
            ("b.txt".into(), ChangeState::Applied)
        ]
    );
    // A rejected change never reaches the disk.
    let rejected = reject_pending(f.env.paths().root(), f.queue.as_ref(), &f.scope, None)
        .await
        .unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(f.read("a.txt"), "someone else\n");
}

#[tokio::test]
async fn an_external_edit_after_apply_is_refused_on_rewind() {
    let f = fixture(false, WriteMode::AutoApply).await;
    let out = f
        .call(
            "edit_file",
            json!({"path": "a.txt", "old_string": "one", "new_string": "ONE"}),
        )
        .await
        .unwrap();
    assert!(out.contains("(applied)"), "{out}");
    assert_eq!(
        f.read("a.txt"),
        "ONE\ntwo\nthree\n",
        "auto-apply writes at once"
    );
    std::fs::write(f.path("a.txt"), "ONE\ntwo\nthree\nmore\n").unwrap();
    let report = rewind(&f.env, f.queue.as_ref(), &f.scope, None)
        .await
        .unwrap();
    assert!(report.done.is_empty());
    assert!(
        report.refused[0]
            .reason
            .contains("changed on disk since the change was applied")
    );
    // The conflict shows the file now against what the rewind would restore.
    let conflict = report.refused[0].conflict.as_deref().unwrap();
    assert!(conflict.contains("-more"), "{conflict}");
    assert!(conflict.contains("+one"), "{conflict}");
    assert_eq!(f.read("a.txt"), "ONE\ntwo\nthree\nmore\n");
    assert_eq!(f.states().await, [("a.txt".into(), ChangeState::Applied)]);
}

#[tokio::test]
async fn delete_then_rewind_restores_content_and_mode() {
    let f = fixture(true, WriteMode::Review).await;
    std::fs::write(f.path("run.sh"), "#!/bin/sh\necho hi\n").unwrap();
    std::fs::set_permissions(f.path("run.sh"), std::fs::Permissions::from_mode(0o750)).unwrap();
    let out = f
        .call("delete_file", json!({"path": "run.sh"}))
        .await
        .unwrap();
    assert!(out.contains("+++ /dev/null"), "{out}");
    assert!(f.path("run.sh").exists());
    apply_pending(&f.env, f.queue.as_ref(), &f.scope, None)
        .await
        .unwrap();
    assert!(!f.path("run.sh").exists());
    rewind(&f.env, f.queue.as_ref(), &f.scope, None)
        .await
        .unwrap();
    assert_eq!(f.read("run.sh"), "#!/bin/sh\necho hi\n");
    let mode = std::fs::metadata(f.path("run.sh"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o750);
}

#[tokio::test]
async fn edits_keep_the_mode_of_the_file() {
    let f = fixture(false, WriteMode::Review).await;
    std::fs::set_permissions(f.path("a.txt"), std::fs::Permissions::from_mode(0o600)).unwrap();
    f.call(
        "edit_file",
        json!({"path": "a.txt", "old_string": "one", "new_string": "1"}),
    )
    .await
    .unwrap();
    apply_pending(&f.env, f.queue.as_ref(), &f.scope, None)
        .await
        .unwrap();
    let mode = std::fs::metadata(f.path("a.txt"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
}

#[tokio::test]
async fn a_stacked_change_is_not_applied_without_its_base() {
    let f = fixture(false, WriteMode::Review).await;
    f.call(
        "edit_file",
        json!({"path": "a.txt", "old_string": "one", "new_string": "1"}),
    )
    .await
    .unwrap();
    f.call(
        "edit_file",
        json!({"path": "a.txt", "old_string": "two", "new_string": "2"}),
    )
    .await
    .unwrap();
    let ids: Vec<String> = f
        .queue
        .list(&f.scope)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    let report = apply_pending(&f.env, f.queue.as_ref(), &f.scope, Some(&ids[1..]))
        .await
        .unwrap();
    assert!(report.done.is_empty());
    assert!(
        report.refused[0].reason.contains("stacked on change"),
        "{report:?}"
    );
    // The first alone applies; then the second on top of it.
    let report = apply_pending(&f.env, f.queue.as_ref(), &f.scope, Some(&ids[..1]))
        .await
        .unwrap();
    assert_eq!(report.done, ids[..1]);
    assert_eq!(f.read("a.txt"), "1\ntwo\nthree\n");
    apply_pending(&f.env, f.queue.as_ref(), &f.scope, Some(&ids[1..]))
        .await
        .unwrap();
    assert_eq!(f.read("a.txt"), "1\n2\nthree\n");
    // Rewinding the first takes the later one on the same file with it.
    let report = rewind(&f.env, f.queue.as_ref(), &f.scope, Some(&ids[..1]))
        .await
        .unwrap();
    assert_eq!(report.done, [ids[1].clone(), ids[0].clone()]);
    assert_eq!(f.read("a.txt"), "one\ntwo\nthree\n");
    // Unknown ids and wrong states are typed errors.
    let err = apply_pending(&f.env, f.queue.as_ref(), &f.scope, Some(&["nope".into()]))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "no change nope in this chat or run");
    let err = apply_pending(&f.env, f.queue.as_ref(), &f.scope, Some(&ids[..1]))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("is reverted, not pending"),
        "{err}"
    );
}

#[tokio::test]
async fn bad_edits_are_explained_and_queue_nothing() {
    let f = fixture(false, WriteMode::Review).await;
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), f.path("out")).unwrap();
    let cases = [
        (
            "edit_file",
            json!({"path": "a.txt", "old_string": "four", "new_string": "4"}),
            "not found",
        ),
        (
            "edit_file",
            json!({"path": "a.txt", "old_string": "o", "new_string": "0"}),
            "occurs",
        ),
        (
            "edit_file",
            json!({"path": "a.txt", "old_string": "one", "new_string": "one"}),
            "the same",
        ),
        (
            "edit_file",
            json!({"path": "nope.txt", "old_string": "a", "new_string": "b"}),
            "does not exist",
        ),
        (
            "create_file",
            json!({"path": "a.txt", "content": "x"}),
            "already exists",
        ),
        (
            "create_file",
            json!({"path": "../escape.txt", "content": "x"}),
            "outside the project root",
        ),
        (
            "create_file",
            json!({"path": "out/escape.txt", "content": "x"}),
            "symlink",
        ),
        (
            "create_file",
            json!({"path": "/etc/boocode.txt", "content": "x"}),
            "outside the project root",
        ),
        (
            "edit_file",
            json!({"path": ".env", "old_string": "1", "new_string": "2"}),
            "secret",
        ),
        (
            "create_file",
            json!({"path": "keys/id_rsa", "content": "x"}),
            "secret",
        ),
        ("delete_file", json!({"path": "gone.txt"}), "does not exist"),
        ("delete_file", json!({"path": "."}), "not a file"),
        (
            "create_file",
            json!({"path": "a.txt", "content": "one\ntwo\nthree\n", "overwrite": true}),
            "unchanged",
        ),
        (
            "edit_file",
            json!({"path": "a.txt", "old": "x"}),
            "unknown field",
        ),
    ];
    for (tool, args, expected) in cases {
        let err = f.call(tool, args.clone()).await.unwrap_err();
        assert!(err.contains(expected), "{tool} {args}: {err}");
    }
    assert!(f.queue.list(&f.scope).await.unwrap().is_empty());
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

/// Content of the crash test's two versions: large enough that a write takes a while.
fn version(which: u8) -> Vec<u8> {
    // Differing in the first and last lines, so a torn write is visible at either end.
    let mark = if which == 0 { "old\n" } else { "new\n" };
    format!(
        "{mark}{}{mark}",
        "the same line every time\n".repeat(64 * 1024)
    )
    .into_bytes()
}

/// The child side of the crash test: flip the file between the two versions forever,
/// touching `started` once the first flip is on disk.
async fn flip_forever(root: &Path, started: &Path) {
    let env = Arc::new(ToolEnv::new(PathGuard::new(root).unwrap()));
    let queue = Arc::new(MemoryChangeQueue::new());
    let scope = ChangeScope(boocode_core::ChatId::new());
    let tools = write_tools(env, queue, scope, WriteMode::AutoApply);
    let ctx = ToolContext::new("c");
    loop {
        let now = std::fs::read(root.join("big.txt")).unwrap();
        let next = if now == version(0) {
            version(1)
        } else {
            version(0)
        };
        let args = json!({"path": "big.txt", "content": String::from_utf8(next).unwrap(), "overwrite": true});
        tools
            .get("create_file")
            .unwrap()
            .execute(args, &ctx)
            .await
            .unwrap();
        if !started.exists() {
            std::fs::write(started, b"").unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_mid_apply_leaves_the_old_or_the_new_file() {
    if let (Ok(root), Ok(started)) = (
        std::env::var("BOOCODE_CRASH_CHILD"),
        std::env::var("BOOCODE_CRASH_STARTED"),
    ) {
        flip_forever(Path::new(&root), Path::new(&started)).await;
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let signals = tempfile::tempdir().unwrap();
    let started = signals.path().join("started");
    std::fs::write(dir.path().join("big.txt"), version(0)).unwrap();
    let (old, new) = (version(0), version(1));
    let mut seen = [0usize; 2];
    for round in 0..16u64 {
        let _ = std::fs::remove_file(&started);
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "a_process_killed_mid_apply_leaves_the_old_or_the_new_file",
            ])
            .env("BOOCODE_CRASH_CHILD", dir.path())
            .env("BOOCODE_CRASH_STARTED", &started)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the child has finished one write (a loaded machine may take seconds to
        // start it), so every kill lands while it is flipping, not before its first write.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !started.exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "round {round}: the child never wrote"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        // Then kill at varying moments: a writer never gets to say goodbye.
        tokio::time::sleep(std::time::Duration::from_millis((round * 37) % 120)).await;
        child.kill().unwrap();
        child.wait().unwrap();
        let now = std::fs::read(dir.path().join("big.txt")).unwrap();
        if now == old {
            seen[0] += 1;
        } else if now == new {
            seen[1] += 1;
        } else {
            panic!("round {round}: a mix of {} bytes", now.len());
        }
    }
    // Every round killed a writer mid-flip, and each left a whole file (checked above).
    tracing::debug!(?seen, "old/new after the kills");
    // Leftover temporaries are swept by the next write of the same file.
    let env = ToolEnv::new(PathGuard::new(dir.path()).unwrap());
    let target = env
        .paths()
        .resolve("big.txt", boocode_tools::Access::Write)
        .unwrap();
    env.paths().replace_file(&target, b"done", 0o644).unwrap();
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["big.txt"]);
}

/// With `.git` writes allowed (an embedder's choice), `.git/config` is still never shown raw:
/// not in a diff, not in the closest-match excerpt of a failed edit, not in the queue.
#[tokio::test]
async fn a_git_config_token_is_redacted_in_every_view_even_where_writes_are_allowed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::write(
        dir.path().join(".git/config"),
        "[remote \"origin\"]\n\turl = https://bob:ghp_REDACTME@github.com/o/r.git\n\tfetch = +refs/heads/*\n",
    )
    .unwrap();
    let guard = PathGuard::new(dir.path())
        .unwrap()
        .with_protected(boocode_tools::ProtectedPaths::none());
    let env = Arc::new(ToolEnv::new(guard));
    let queue = Arc::new(MemoryChangeQueue::new());
    let scope = ChangeScope(boocode_core::ChatId::new());
    let tools = write_tools(env, queue.clone(), scope, WriteMode::Review);
    let ctx = ToolContext::new("t");
    let edit = tools
        .get("edit_file")
        .unwrap()
        .execute(
            json!({"path": ".git/config", "old_string": "fetch = +refs/heads/*", "new_string": "fetch = +refs/*"}),
            &ctx,
        )
        .await
        .unwrap();
    assert!(
        edit.content.contains("+\tfetch = +refs/*"),
        "{}",
        edit.content
    );
    let near_miss = tools
        .get("edit_file")
        .unwrap()
        .execute(
            json!({"path": ".git/config", "old_string": "\turl = https://bob:ghp_REDACTMX@github.com/o/r.git", "new_string": "x"}),
            &ctx,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(near_miss.contains("closest match"), "{near_miss}");
    let queued = queue.list(&scope).await.unwrap();
    for view in [edit.content.clone(), near_miss, queued[0].diff.clone()] {
        assert!(!view.contains("ghp_REDACTME"), "{view}");
    }
    assert!(queued[0].diff.contains("https://***@github.com"));
}

/// A write tool names the change it proposed on its output, so callers need not search the
/// queue for it (concurrent proposals cannot be confused).
#[tokio::test]
async fn a_write_names_the_change_it_proposed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "one\n").unwrap();
    let env = Arc::new(ToolEnv::new(PathGuard::new(dir.path()).unwrap()));
    let queue = Arc::new(MemoryChangeQueue::new());
    let scope = ChangeScope(boocode_core::ChatId::new());
    let ctx = ToolContext::new("t");
    for (mode, state) in [
        (WriteMode::Review, ChangeState::Pending),
        (WriteMode::AutoApply, ChangeState::Applied),
    ] {
        let tools = write_tools(env.clone(), queue.clone(), scope, mode);
        let output = tools
            .get("create_file")
            .unwrap()
            .execute(
                json!({"path": format!("{mode:?}.txt"), "content": "new\n"}),
                &ctx,
            )
            .await
            .unwrap();
        let change = output.change.expect("the proposed change");
        assert_eq!(
            (change.path.clone(), change.state),
            (format!("{mode:?}.txt"), state)
        );
        let queued = queue.list(&scope).await.unwrap();
        assert_eq!(queued.last().unwrap().id, change.id);
        assert_eq!(queued.last().unwrap().state, state);
    }
}

/// A fresh unique suffix.
fn uuid_like() -> String {
    boocode_core::ChatId::new().to_string()
}
