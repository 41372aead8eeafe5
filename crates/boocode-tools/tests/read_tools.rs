//! The read tools on a real temporary repository, called the way the loop calls them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use boocode_core::{Tool, ToolContext, ToolError, ToolLimits, ToolSet};
use boocode_tools::{PathGuard, Tier, ToolEnv, TruncationStore, read_tools};
use serde_json::{Value, json};
use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::Arc;

struct Repo {
    root: tempfile::TempDir,
    _outside: tempfile::TempDir,
    _truncated: tempfile::TempDir,
    tools: ToolSet,
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn repo() -> Repo {
    let root = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let truncated = tempfile::tempdir().unwrap();
    let r = root.path();
    write(
        r,
        "src/main.rs",
        "fn main() {\n    println!(\"hello\");\n    helper();\n}\n",
    );
    write(
        r,
        "src/lib.rs",
        "pub fn helper() {}\n// TODO: more\npub fn Helper2() {}\n",
    );
    write(r, "src/nested/deep/mod.rs", "// deep TODO\n");
    write(r, "README.md", "# Demo\nA TODO list.\n");
    write(r, ".gitignore", "target/\n*.log\n");
    write(r, "target/debug/out.rs", "// TODO ignored build output\n");
    write(r, "app.log", "TODO in a log\n");
    write(r, ".env", "API_KEY=sk-live-SECRET\n");
    write(r, ".env.example", "API_KEY=\n");
    write(r, "keys/id_rsa", "-----BEGIN TODO PRIVATE KEY-----\n");
    write(r, ".hidden/notes.txt", "TODO hidden\n");
    write(
        r,
        ".git/config",
        "[remote \"origin\"]\n\turl = https://me:ghp_TOKEN@example.com/r.git\n",
    );
    std::fs::write(
        r.join("blob.bin"),
        [0u8, 159, 146, 150, b'T', b'O', b'D', b'O'],
    )
    .unwrap();
    write(outside.path(), "secret.txt", "OUTSIDE TODO CANARY\n");
    symlink(outside.path(), r.join("src/escape")).unwrap();
    let env = ToolEnv::new(PathGuard::new(r).unwrap())
        .with_truncation(TruncationStore::open(truncated.path()).unwrap());
    let (tools, _) = read_tools(Arc::new(env), Tier::Standard, None);
    Repo {
        root,
        _outside: outside,
        _truncated: truncated,
        tools,
    }
}

async fn call_with(
    repo: &Repo,
    tool: &str,
    args: Value,
    max_output_bytes: usize,
) -> Result<String, ToolError> {
    let ctx =
        ToolContext::new("t").limits(ToolLimits::default().max_output_bytes(max_output_bytes));
    let tool: &Arc<dyn Tool> = repo.tools.get(tool).unwrap();
    tool.execute(args, &ctx).await.map(|o| o.content)
}

async fn call(repo: &Repo, tool: &str, args: Value) -> Result<String, ToolError> {
    call_with(repo, tool, args, 50_000).await
}

fn model_error(result: Result<String, ToolError>) -> String {
    match result {
        Err(ToolError::ToModel(m)) => m,
        other => panic!("expected a model-facing error, got {other:?}"),
    }
}

#[tokio::test]
async fn view_file_numbers_lines_and_shows_ranges() {
    let repo = repo();
    let out = call(&repo, "view_file", json!({"path": "src/main.rs"}))
        .await
        .unwrap();
    assert_eq!(
        out,
        "     1\tfn main() {\n     2\t    println!(\"hello\");\n     3\t    helper();\n     4\t}\n"
    );
    let out = call(
        &repo,
        "view_file",
        json!({"path": "src/main.rs", "start_line": 2, "end_line": 3}),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        "     2\t    println!(\"hello\");\n     3\t    helper();\n(src/main.rs: lines 2-3 shown)\n"
    );
    let err = model_error(
        call(
            &repo,
            "view_file",
            json!({"path": "src/main.rs", "start_line": 9}),
        )
        .await,
    );
    assert!(err.contains("past the end"), "{err}");
}

#[tokio::test]
async fn view_file_refuses_binaries_secrets_escapes_and_huge_files() {
    let repo = repo();
    let err = model_error(call(&repo, "view_file", json!({"path": "blob.bin"})).await);
    assert!(err.contains("binary file"), "{err}");
    for secret in [".env", "keys/id_rsa"] {
        let err = model_error(call(&repo, "view_file", json!({"path": secret})).await);
        assert!(err.contains("secret deny list"), "{err}");
        assert!(
            !err.contains("SECRET") && !err.contains("PRIVATE KEY"),
            "{err}"
        );
    }
    assert!(
        call(&repo, "view_file", json!({"path": ".env.example"}))
            .await
            .is_ok()
    );
    let err = model_error(call(&repo, "view_file", json!({"path": "src/escape/secret.txt"})).await);
    assert!(err.contains("symlink") && !err.contains("CANARY"), "{err}");
    let err = model_error(call(&repo, "view_file", json!({"path": "../x"})).await);
    assert!(err.contains("outside the project root"), "{err}");
    let err = model_error(call(&repo, "view_file", json!({"path": "nope.rs"})).await);
    assert!(err.contains("does not exist"), "{err}");

    let big = "0123456789abcdef\n".repeat(400_000);
    write(repo.root.path(), "big.txt", &big);
    let err = model_error(call(&repo, "view_file", json!({"path": "big.txt"})).await);
    assert!(err.contains("over the 5 MB limit"), "{err}");
    let out = call(
        &repo,
        "view_file",
        json!({"path": "big.txt", "start_line": 399_999}),
    )
    .await
    .unwrap();
    assert!(
        out.starts_with("399999\t0123456789abcdef\n400000\t"),
        "{out}"
    );
}

#[tokio::test]
async fn git_config_credentials_are_redacted() {
    let repo = repo();
    let out = call(&repo, "view_file", json!({"path": ".git/config"}))
        .await
        .unwrap();
    assert!(!out.contains("ghp_TOKEN"), "{out}");
    assert!(out.contains("https://***@example.com/r.git"), "{out}");
}

#[tokio::test]
async fn list_dir_honours_gitignore_depth_hidden_and_secrets() {
    let repo = repo();
    let out = call(&repo, "list_dir", json!({"depth": 1})).await.unwrap();
    assert_eq!(out, "./\n  README.md\n  blob.bin\n  keys/\n  src/\n");
    let out = call(&repo, "list_dir", json!({"path": "src", "depth": 5}))
        .await
        .unwrap();
    assert_eq!(
        out,
        "src/\n  escape@\n  lib.rs\n  main.rs\n  nested/\n    deep/\n      mod.rs\n"
    );
    let out = call(
        &repo,
        "list_dir",
        json!({"include_hidden": true, "depth": 1}),
    )
    .await
    .unwrap();
    assert!(
        out.contains(".hidden/") && out.contains(".env.example"),
        "{out}"
    );
    assert!(!out.contains(".env\n") && !out.contains(".git/"), "{out}");
    let out = call(&repo, "list_dir", json!({"path": "keys"}))
        .await
        .unwrap();
    assert_eq!(out, "keys/\n(empty)\n", "id_rsa must not be listed");
}

#[tokio::test]
async fn grep_finds_matches_with_options_and_skips_what_it_must() {
    let repo = repo();
    let out = call(&repo, "grep", json!({"pattern": "TODO"}))
        .await
        .unwrap();
    assert_eq!(
        out,
        "README.md:2:A TODO list.\nsrc/lib.rs:2:// TODO: more\nsrc/nested/deep/mod.rs:1:// deep TODO\n(3 matches in 3 files)\n",
        "ignored, hidden, binary, secret and symlinked-outside files must not appear"
    );
    // Smart case: lowercase pattern is case-insensitive; uppercase is exact.
    let out = call(&repo, "grep", json!({"pattern": "helper2"}))
        .await
        .unwrap();
    assert!(out.contains("src/lib.rs:3:pub fn Helper2() {}"), "{out}");
    let out = call(
        &repo,
        "grep",
        json!({"pattern": "helper", "case": "sensitive"}),
    )
    .await
    .unwrap();
    assert!(!out.contains("Helper2"), "{out}");
    // Literal text with regex metacharacters.
    let out = call(
        &repo,
        "grep",
        json!({"pattern": "println!(", "literal": true}),
    )
    .await
    .unwrap();
    assert!(out.starts_with("src/main.rs:2:"), "{out}");
    let err = model_error(call(&repo, "grep", json!({"pattern": "println!("})).await);
    assert!(err.contains("invalid regular expression"), "{err}");
    // Globs and a path.
    let out = call(&repo, "grep", json!({"pattern": "TODO", "globs": ["*.md"]}))
        .await
        .unwrap();
    assert_eq!(out, "README.md:2:A TODO list.\n(1 match in 1 files)\n");
    let out = call(
        &repo,
        "grep",
        json!({"pattern": "TODO", "globs": ["!*.md"], "path": "src"}),
    )
    .await
    .unwrap();
    assert!(
        !out.contains("README") && out.contains("src/lib.rs"),
        "{out}"
    );
    // Context lines.
    let out = call(&repo, "grep", json!({"pattern": "println", "context": 1}))
        .await
        .unwrap();
    assert_eq!(
        out,
        "src/main.rs-1-fn main() {\nsrc/main.rs:2:    println!(\"hello\");\nsrc/main.rs-3-    helper();\n(1 match in 1 files)\n"
    );
    // Hidden files on request; secrets never.
    let out = call(
        &repo,
        "grep",
        json!({"pattern": "TODO|SECRET", "include_hidden": true}),
    )
    .await
    .unwrap();
    assert!(out.contains(".hidden/notes.txt"), "{out}");
    assert!(!out.contains("sk-live") && !out.contains(".env"), "{out}");
    let out = call(&repo, "grep", json!({"pattern": "nothing-like-this"}))
        .await
        .unwrap();
    assert!(out.starts_with("no matches"), "{out}");
}

#[tokio::test]
async fn grep_caps_results_and_keeps_the_rest_behind_an_id() {
    let repo = repo();
    let many: String = (0..5000).map(|i| format!("needle {i}\n")).collect();
    write(repo.root.path(), "many.txt", &many);
    let out = call(
        &repo,
        "grep",
        json!({"pattern": "needle", "max_results": 10}),
    )
    .await
    .unwrap();
    assert_eq!(out.lines().count(), 11, "{out}");
    assert!(out.contains("stopped at the limit of 10"), "{out}");

    let out = call_with(
        &repo,
        "grep",
        json!({"pattern": "needle", "max_results": 2000}),
        2000,
    )
    .await
    .unwrap();
    assert!(out.contains("[output truncated"), "{out}");
    let at = out.find("tr_").unwrap();
    let id = &out[at..at + 15];
    let rest = call(
        &repo,
        "view_truncated_output",
        json!({"id": id, "offset": 0}),
    )
    .await
    .unwrap();
    assert!(
        rest.contains("many.txt:2000:needle 1999"),
        "the kept output holds everything"
    );
    let err = model_error(
        call(
            &repo,
            "view_truncated_output",
            json!({"id": "tr_../../etc"}),
        )
        .await,
    );
    assert!(err.contains("invalid output id"), "{err}");
}

#[tokio::test]
async fn find_files_by_name_and_by_path() {
    let repo = repo();
    let out = call(&repo, "find_files", json!({"pattern": "*.rs"}))
        .await
        .unwrap();
    assert_eq!(
        out,
        "src/lib.rs\nsrc/main.rs\nsrc/nested/deep/mod.rs\n(3 files)\n"
    );
    let out = call(&repo, "find_files", json!({"pattern": "src/**/mod.rs"}))
        .await
        .unwrap();
    assert_eq!(out, "src/nested/deep/mod.rs\n(1 files)\n");
    let out = call(
        &repo,
        "find_files",
        json!({"pattern": "nested/*/mod.rs", "path": "src"}),
    )
    .await
    .unwrap();
    assert_eq!(out, "src/nested/deep/mod.rs\n(1 files)\n");
    let out = call(&repo, "find_files", json!({"pattern": "id_rsa*"}))
        .await
        .unwrap();
    assert!(out.starts_with("no files match"), "{out}");
    let out = call(
        &repo,
        "find_files",
        json!({"pattern": "*.rs", "max_results": 1}),
    )
    .await
    .unwrap();
    assert!(out.contains("stopped at 1 files"), "{out}");
    let err = model_error(call(&repo, "find_files", json!({"pattern": "a[", "path": "src"})).await);
    assert!(err.contains("invalid glob"), "{err}");
}

#[tokio::test]
async fn unknown_arguments_are_reported_to_the_model() {
    let repo = repo();
    let err = model_error(call(&repo, "grep", json!({"pattern": "x", "regex": true})).await);
    assert!(err.contains("unknown field `regex`"), "{err}");
}

#[test]
fn tiers_and_whitelists_pick_the_tools() {
    let root = tempfile::tempdir().unwrap();
    let env = Arc::new(ToolEnv::new(PathGuard::new(root.path()).unwrap()));
    let (set, _) = read_tools(env.clone(), Tier::All, None);
    // No truncation store and no web access configured: neither tool is offered.
    assert_eq!(
        set.names().collect::<Vec<_>>(),
        ["find_files", "grep", "list_dir", "view_file"]
    );
    let whitelist = vec!["grep".to_owned(), "edit_file".to_owned()];
    let (set, unknown) = read_tools(env, Tier::Core, Some(&whitelist));
    assert_eq!(set.names().collect::<Vec<_>>(), ["grep"]);
    assert_eq!(unknown, ["edit_file"]);
    // Every schema is an object with properties, as models expect.
    for spec in set.specs() {
        assert_eq!(spec.parameters["type"], "object", "{}", spec.name);
    }
}
