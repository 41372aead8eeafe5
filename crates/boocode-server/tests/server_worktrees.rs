//! Chats in their own worktrees through the real server, on a real git repository: the agent's
//! writes land in the worktree and never in the main tree, the chat's changes apply and rewind
//! there, hostile worktree requests are refused, and discarding the worktree leaves git as it
//! was and the chat refusing further turns. On SQLite and Postgres.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use boocode_testkit::{Reply, ScriptedOpenAi};
use common::*;
use serde_json::json;
use std::path::Path;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_in_its_own_worktree_writes_there_and_never_in_the_main_tree() {
    let sandbox = Sandbox::new();
    for (url, _keep) in databases(&sandbox).await {
        let model = ScriptedOpenAi::start().await.unwrap();
        let repo = sandbox.repo(&format!("wt-{}", url.split(':').next().unwrap()));
        std::fs::write(repo.join(".env.example"), "PORT=8080\n").unwrap();
        std::fs::write(repo.join(".env"), "TOKEN=secret\n").unwrap();
        std::fs::write(repo.join(".gitignore"), ".env\n").unwrap();
        git(&repo, &["init", "--quiet"]);
        git(&repo, &["add", "--all"]);
        git(&repo, &["commit", "--quiet", "-m", "start"]);
        let main_before = read(&repo.join("src/main.rs"));
        let worktrees_before = git(&repo, &["worktree", "list", "--porcelain"]);
        model.push(Reply::stream().tool_call(
            "c1",
            "edit_file",
            &[r#"{"path": "src/main.rs", "old_string": "serve();", "new_string": "serve(9090);"}"#],
        ));
        model.push(Reply::text("Edited in the worktree."));
        let server = Server::start(&sandbox, Options::new(url.clone(), model.url())).await;
        let (_, project) = server.post("/api/projects", json!({ "path": repo })).await;
        let pid = project["id"].as_str().unwrap();

        // A session's first chat works in the project: a worktree there is refused.
        let (status, body) = server
            .post(
                &format!("/api/projects/{pid}/sessions"),
                json!({ "title": "t", "worktree": {} }),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("worktree"),
            "{body}"
        );
        let (status, created) = server
            .post(
                &format!("/api/projects/{pid}/sessions"),
                json!({ "title": "t" }),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        let session = created["session"]["id"].as_str().unwrap().to_owned();
        let chats = format!("/api/sessions/{session}/chats");

        // Hostile requests: a secret, an escape, an absolute path, a directory to be named by
        // the client, too many copies. Each is refused and leaves no worktree behind.
        let many: Vec<_> = (0..33)
            .map(|i| json!({ "from": ".env.example", "to": format!("e{i}") }))
            .collect();
        for (worktree, field) in [
            (
                json!({ "copy": [{ "from": ".env", "to": ".env" }] }),
                "secret",
            ),
            (
                json!({ "copy": [{ "from": "../../etc/passwd", "to": "x" }] }),
                "relative",
            ),
            (
                json!({ "copy": [{ "from": "/etc/passwd", "to": "x" }] }),
                "relative",
            ),
            (
                json!({ "copy": [{ "from": "README.md", "to": ".git/config" }] }),
                "worktree",
            ),
            (json!({ "path": "/" }), "unknown field"),
            (json!({ "copy": many }), "at most 32"),
        ] {
            let (status, body) = server.post(&chats, json!({ "worktree": worktree })).await;
            assert_eq!(status, 400, "{worktree}: {body}");
            assert!(
                body["error"]["message"].as_str().unwrap().contains(field),
                "{worktree}: {body}"
            );
        }
        assert_eq!(
            git(&repo, &["worktree", "list", "--porcelain"]),
            worktrees_before
        );

        let (status, chat) = server
            .post(
                &chats,
                json!({
                    "title": "isolated",
                    "mode": "auto_apply",
                    "worktree": { "copy": [{ "from": ".env.example", "to": ".env" }] }
                }),
            )
            .await;
        assert_eq!(status, 201, "{chat}");
        let id = chat["id"].as_str().unwrap().to_owned();
        assert!(
            chat["worktree"].as_str().unwrap().starts_with("wt_"),
            "{chat}"
        );
        let workdir = Path::new(chat["workdir"].as_str().unwrap()).to_path_buf();
        assert!(!workdir.starts_with(&repo), "{}", workdir.display());
        assert_eq!(read(&workdir.join(".env")), "PORT=8080\n");
        assert_eq!(read(&workdir.join("src/main.rs")), main_before);

        // The agent's edit lands in the worktree; the main tree is untouched.
        let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
        let message = turn(&server, &mut ws, &id, "use port 9090").await;
        assert_eq!(message["status"], "complete", "{message}");
        assert!(read(&workdir.join("src/main.rs")).contains("serve(9090);"));
        assert_eq!(read(&repo.join("src/main.rs")), main_before);
        let (_, applied) = server
            .get(&format!("/api/chats/{id}/changes?state=applied"))
            .await;
        assert_eq!(applied.as_array().unwrap().len(), 1, "{applied}");
        // Rewinding acts in the worktree too.
        let (status, report) = server
            .post(&format!("/api/chats/{id}/changes/rewind"), json!({}))
            .await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(read(&workdir.join("src/main.rs")), main_before);
        assert_eq!(read(&repo.join("src/main.rs")), main_before);

        // Discarding removes the worktree; git is as it was; the chat takes no more turns.
        let (status, kept) = server
            .send("DELETE", &format!("/api/chats/{id}/worktree"), json!({}))
            .await;
        assert_eq!(status, 200, "{kept}");
        assert!(!workdir.exists());
        assert_eq!(
            git(&repo, &["worktree", "list", "--porcelain"]),
            worktrees_before
        );
        let (status, body) = server
            .post(
                &format!("/api/chats/{id}/messages"),
                json!({ "text": "more" }),
            )
            .await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"]["code"], "worktree_gone", "{body}");
        assert_eq!(read(&repo.join("src/main.rs")), main_before);
        assert_eq!(read(&repo.join(".env")), "TOKEN=secret\n");
    }
}
