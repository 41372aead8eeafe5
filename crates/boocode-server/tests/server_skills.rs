//! Skills in a native chat through the real server: the system prompt lists each valid skill
//! (name and description), the model loads one with the `skill` tool and reads a file bundled
//! with it, `$name` in a message loads a skill up front, and a malformed skill is left out
//! while the others load.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use boocode_testkit::{Reply, ScriptedOpenAi};
use common::*;
use serde_json::Value;

fn skill(root: &std::path::Path, folder: &str, front: &str, body: &str) {
    let dir = root.join(".agents/skills").join(folder);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("SKILL.md"), format!("---\n{front}---\n{body}\n")).unwrap();
}

fn system_of(request: &Value) -> String {
    request["messages"][0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_native_chat_lists_loads_and_preloads_skills() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("skills");
    skill(
        &repo,
        "release-notes",
        "name: release-notes\ndescription: Write release notes from the changelog.\n",
        "Read templates/notes.md and fill it in.",
    );
    std::fs::create_dir_all(repo.join(".agents/skills/release-notes/templates")).unwrap();
    std::fs::write(
        repo.join(".agents/skills/release-notes/templates/notes.md"),
        "# Notes for VERSION\n",
    )
    .unwrap();
    skill(
        &repo,
        "csv-report",
        "name: csv-report\ndescription: Summarise a CSV file.\n",
        "Count the rows first.",
    );
    skill(&repo, "broken", "name: not-broken\ndescription: x\n", "");

    let model = ScriptedOpenAi::start().await.unwrap();
    model.push(Reply::stream().tool_call("s1", "skill", &[r#"{"name": "release-notes"}"#]));
    model.push(Reply::stream().tool_call(
        "v1",
        "view_file",
        &[r#"{"path": ".agents/skills/release-notes/templates/notes.md"}"#],
    ));
    model.push(Reply::text("Filled in."));
    model.push(Reply::text("Rows counted."));
    let server = Server::start(&sandbox, Options::new(sandbox.sqlite_url(), model.url())).await;
    let (session, chat) = server.session(&repo).await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;

    let done = turn(&server, &mut ws, &chat, "Write the release notes").await;
    assert_eq!(done["status"], "complete", "{done}");
    let requests = model.completion_requests();
    let system = system_of(&requests[0].body);
    assert!(
        system.contains("- csv-report: Summarise a CSV file.")
            && system.contains("- release-notes: Write release notes from the changelog."),
        "{system}"
    );
    assert!(!system.contains("not-broken"), "{system}");
    let tools = requests[0].body["tools"].to_string();
    assert!(tools.contains("\"skill\""), "{tools}");
    // The skill's body and bundled files came back; the bundled file was read.
    let loaded = requests[1].body.to_string();
    assert!(
        loaded.contains("Read templates/notes.md and fill it in."),
        "{loaded}"
    );
    assert!(
        loaded.contains("- .agents/skills/release-notes/templates/notes.md"),
        "{loaded}"
    );
    assert!(requests[2].body.to_string().contains("# Notes for VERSION"));

    // `$csv-report` loads that skill with the message.
    let done = turn(&server, &mut ws, &chat, "Use $csv-report on data.csv").await;
    assert_eq!(done["status"], "complete", "{done}");
    let last = model.completion_requests().last().unwrap().body.clone();
    let user = last["messages"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .unwrap()["content"]
        .to_string();
    assert!(
        user.contains("<skill name=\\\"csv-report\\\">") && user.contains("Count the rows first."),
        "{user}"
    );
    // The notice saying so is kept with the answer.
    assert!(
        done["parts"]
            .to_string()
            .contains("skill csv-report loaded"),
        "{done}"
    );
    // The stored message is what the user wrote.
    let messages = server.messages(&chat).await;
    let stored =
        messages.iter().rev().find(|m| m["role"] == "user").unwrap()["parts"][0]["text"].clone();
    assert_eq!(stored, "Use $csv-report on data.csv");

    // The list clients show: both skills, the broken one named as skipped.
    let (_, projects) = server.get("/api/projects").await;
    let pid = projects[0]["id"].as_str().unwrap();
    let (status, list) = server.get(&format!("/api/projects/{pid}/skills")).await;
    assert_eq!(status, 200, "{list}");
    let names: Vec<&str> = list["skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["csv-report", "release-notes"]);
    assert_eq!(list["skills"][1]["dir"], ".agents/skills/release-notes");
    assert_eq!(list["skills"][1]["project"], true);
    assert_eq!(
        list["skills"][1]["files"],
        serde_json::json!(["templates/notes.md"])
    );
    assert!(
        list["problems"][0]
            .as_str()
            .unwrap()
            .contains("broken/SKILL.md: field `name`"),
        "{list}"
    );
    for bad in ["nope", "..%2F..%2Fetc"] {
        let (status, _) = server.get(&format!("/api/projects/{bad}/skills")).await;
        assert!(status == 400 || status == 404, "{bad}: {status}");
    }
}

/// A skill's `allowed-tools` narrow the turn's tools once it is loaded, whether by the
/// `skill` tool or by `$name`; a skill without the field leaves them alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_active_skills_allowed_tools_narrow_the_turn() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("narrow");
    skill(
        &repo,
        "read-only",
        "name: read-only\ndescription: Look, never search.\nallowed-tools: view_file Read\n",
        "Only read files.",
    );
    let model = ScriptedOpenAi::start().await.unwrap();
    // Before the skill: grep runs. After `skill`: grep is refused, view_file runs.
    model.push(Reply::stream().tool_call("g0", "grep", &[r#"{"pattern": "serve"}"#]));
    model.push(Reply::stream().tool_call("s1", "skill", &[r#"{"name": "read-only"}"#]));
    model.push(
        Reply::stream()
            .tool_call("g1", "grep", &[r#"{"pattern": "serve"}"#])
            .tool_call("v1", "view_file", &[r#"{"path": "src/server.rs"}"#]),
    );
    model.push(Reply::text("Read it."));
    // `$read-only` narrows from the first step.
    model.push(Reply::stream().tool_call("g2", "grep", &[r#"{"pattern": "serve"}"#]));
    model.push(Reply::text("Could not search."));
    let server = Server::start(&sandbox, Options::new(sandbox.sqlite_url(), model.url())).await;
    let (session, chat) = server.session(&repo).await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;

    let done = turn(&server, &mut ws, &chat, "look").await;
    assert_eq!(done["status"], "complete", "{done}");
    let requests = model.completion_requests();
    let result_of = |request: &Value, id: &str| -> String {
        request["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["role"] == "tool" && m["tool_call_id"] == id)
            .map(|m| m["content"].to_string())
            .unwrap_or_default()
    };
    assert!(result_of(&requests[1].body, "g0").contains("serve"));
    let refused = result_of(&requests[3].body, "g1");
    assert!(
        refused.contains("`grep` is not among the tools the active skill read-only allows"),
        "{refused}"
    );
    assert!(result_of(&requests[3].body, "v1").contains("pub fn serve"));

    let done = turn(&server, &mut ws, &chat, "use $read-only and search").await;
    assert_eq!(done["status"], "complete", "{done}");
    let last = model.completion_requests().last().unwrap().body.clone();
    assert!(
        result_of(&last, "g2").contains("not among the tools"),
        "{last}"
    );
    let shown = done["parts"].to_string();
    assert!(shown.contains("skill read-only allowed-tools"), "{shown}");
}
