//! How each peer is set up and scripted: its own tools, its settings in a fresh home, the
//! command that runs it once.

use crate::models::Models;
use crate::shared::isolate_opencode;
use crate::{Args, NEEDLE, PROMPT, STEPS};
use anyhow::{Result, bail};
use boocode_testkit::opencode_config;
use serde_json::{Value, json};
use std::path::Path;

/// Each peer's own grep and read tools: names and the argument objects they take.
fn tools_of(peer: &str, work: &Path, step: usize) -> (&'static str, Value) {
    let file = work.join(format!("src/mod{}.rs", step / 2));
    let file = file.display().to_string();
    let grep = step.is_multiple_of(2);
    match (peer, grep) {
        ("boocode", true) => ("grep", json!({"pattern": "fn handler"})),
        ("boocode", false) => (
            "view_file",
            json!({"path": format!("src/mod{}.rs", step / 2)}),
        ),
        ("opencode", true) => ("grep", json!({"pattern": "fn handler"})),
        ("opencode", false) => ("read", json!({"filePath": file})),
        ("claude", true) => ("Grep", json!({"pattern": "fn handler"})),
        ("claude", false) => ("Read", json!({"file_path": file})),
        ("pi", true) => ("grep", json!({"pattern": "fn handler"})),
        ("pi", false) => ("read", json!({"path": file})),
        // Codex has no grep or read tool of its own: it runs commands.
        ("codex", true) => ("exec_command", json!({"cmd": "rg -n 'fn handler' src"})),
        ("codex", false) => ("exec_command", json!({"cmd": format!("cat {file}")})),
        // qwen-code and gemini-cli (qwen-code is a fork of it).
        (_, true) => ("grep_search", json!({"pattern": "fn handler"})),
        (_, false) => ("read_file", json!({"file_path": file})),
    }
}

/// Makes `work` a git repository, as a real project is.
fn git_init(work: &Path) -> Result<()> {
    let init = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(work)
        .status()?;
    anyhow::ensure!(init.success(), "git init failed in {}", work.display());
    Ok(())
}

/// Scripts the model for one run of `scenario` by `peer` (in project `work`).
pub(crate) fn script(peer: &str, scenario: &str, models: &Models, work: &Path) -> Result<()> {
    if scenario == "tool-loop" {
        git_init(work)?;
        std::fs::create_dir_all(work.join("src"))?;
        for i in 0..STEPS / 2 {
            let body = format!("// {NEEDLE}\npub fn handler{i}() -> u32 {{\n    {i}\n}}\n");
            std::fs::write(work.join(format!("src/mod{i}.rs")), body.repeat(20))?;
        }
    }
    if scenario == "big-read" {
        git_init(work)?;
        std::fs::create_dir_all(work.join("src"))?;
        // 200 KB; the needle opens it, so a harness that keeps only the head still passes it on.
        let line = "let value = compute(previous, 0x5eed) + offset; // padding\n";
        let body = format!("// {NEEDLE}\n{}", line.repeat(200 * 1024 / line.len()));
        std::fs::write(work.join("src/mod0.rs"), body)?;
    }
    let steps = match scenario {
        "tool-loop" => STEPS,
        "big-read" => 1,
        _ => 0,
    };
    for step in 0..steps {
        // The big read is one read (an odd step) of src/mod0.rs.
        let step = if scenario == "big-read" { 1 } else { step };
        let (name, arguments) = tools_of(peer, work, step);
        let id = format!("call_{step}");
        models.push_call(peer, &id, name, arguments);
    }
    models.push_answer(peer);
    Ok(())
}

/// The command that runs `peer` once in `dir` (a fresh home and project), with its model
/// scripted; `None` when the peer is not installed.
pub(crate) fn command_for(
    peer: &str,
    scenario: &str,
    args: &Args,
    models: &Models,
    dir: &Path,
) -> Result<Option<tokio::process::Command>> {
    let (home, work) = (dir.join("home"), dir.join("work"));
    std::fs::create_dir_all(&home)?;
    std::fs::create_dir_all(&work)?;
    let program = match peer {
        "boocode" => args.boocode.clone(),
        "pi" | "codex" | "gemini" => args.bench_peers.join(peer),
        other => args.peers.join(other),
    };
    if !program.exists() {
        return Ok(None);
    }
    // The command runs in the project directory: a relative path would not resolve there.
    let program = program.canonicalize()?;
    let mut command = tokio::process::Command::new(&program);
    command.current_dir(&work).env("HOME", &home);
    script(peer, scenario, models, &work)?;
    let prompt = match scenario {
        "tool-loop" => "Look through the handlers in src and summarise them.",
        "big-read" => "Read src/mod0.rs and summarise it.",
        _ => PROMPT,
    };
    match peer {
        "boocode" => {
            command.args(["run", "--model-url", &models.openai.url(), prompt]);
        }
        "opencode" => {
            let mut config = opencode_config(&models.openai.url());
            // It takes the temporary project for another directory and would ask before
            // each read; nobody is there to answer a one-shot run.
            config["permission"]["external_directory"] = json!("allow");
            isolate_opencode(&mut command, &home, &work, &config)?;
            command.args(["run", "--model", "scripted/scripted-model", prompt]);
        }
        "qwen" => {
            let settings = json!({
                "general": {"enableAutoUpdate": false},
                "privacy": {"usageStatisticsEnabled": false},
                "telemetry": {"enabled": false},
                "ui": {"enableFollowupSuggestions": false},
                "memory": {"enableManagedAutoMemory": false, "enableManagedAutoDream": false,
                           "enableAutoSkill": false}
            });
            std::fs::create_dir_all(home.join(".qwen"))?;
            std::fs::write(home.join(".qwen/settings.json"), settings.to_string())?;
            command
                .env("OPENAI_BASE_URL", format!("{}/v1", models.openai.url()))
                .env("OPENAI_API_KEY", "sk-test")
                .env("OPENAI_MODEL", "scripted-model")
                .arg(prompt);
        }
        "claude" => {
            command
                .env("ANTHROPIC_BASE_URL", models.anthropic.url())
                .env("ANTHROPIC_API_KEY", "sk-test")
                .env("CLAUDE_CONFIG_DIR", home.join(".claude"))
                .env("DISABLE_TELEMETRY", "1")
                .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
                .args(["-p", prompt, "--model", "claude-sonnet-4-5"]);
        }
        "pi" => {
            let models_json = json!({"providers": {"fake": {
                "baseUrl": format!("{}/v1", models.openai.url()),
                "api": "openai-completions", "apiKey": "x",
                "compat": {"supportsDeveloperRole": false, "supportsReasoningEffort": false},
                "models": [{"id": "scripted"}]}}});
            std::fs::create_dir_all(home.join(".pi/agent"))?;
            std::fs::write(home.join(".pi/agent/models.json"), models_json.to_string())?;
            command
                .env("PI_OFFLINE", "1")
                .args(["--provider", "fake", "--model", "scripted"])
                .args(["--tools", "read,grep", "--no-session", "-p", prompt]);
        }
        "codex" => {
            let config = format!(
                "model = \"scripted\"\nmodel_provider = \"fake\"\n\
                 check_for_update_on_startup = false\n\
                 [analytics]\nenabled = false\n\
                 [features]\nplugins = false\nremote_plugin = false\napps = false\n\
                 [model_providers.fake]\nname = \"fake\"\nbase_url = \"{}/v1\"\n\
                 env_key = \"FAKE_API_KEY\"\nwire_api = \"responses\"\n",
                models.responses.url()
            );
            std::fs::create_dir_all(home.join(".codex"))?;
            std::fs::write(home.join(".codex/config.toml"), config)?;
            command
                .env("CODEX_HOME", home.join(".codex"))
                .env("FAKE_API_KEY", "x")
                .args(["exec", "--skip-git-repo-check", prompt]);
        }
        "gemini" => {
            let settings = json!({
                "security": {"auth": {"selectedType": "gemini-api-key"}},
                "privacy": {"usageStatisticsEnabled": false},
                "telemetry": {"enabled": false},
                "general": {"enableAutoUpdate": false, "enableAutoUpdateNotification": false}
            });
            std::fs::create_dir_all(home.join(".gemini"))?;
            std::fs::write(home.join(".gemini/settings.json"), settings.to_string())?;
            command
                .env("GOOGLE_GEMINI_BASE_URL", models.gemini.url())
                .env("GEMINI_API_KEY", "x")
                .env("GEMINI_CLI_TRUST_WORKSPACE", "true")
                .args(["-m", "gemini-2.5-flash", "-p", prompt]);
        }
        other => bail!("unknown peer {other}"),
    }
    Ok(Some(command))
}
