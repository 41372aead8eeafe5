//! The loop's side of hooks, with hooks written in Rust (as an embedder would): a `Stop` hook
//! sends the model back to work with its reason, *ask* goes to the approver (or is refused
//! without one), and every run is a notice in the message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use boocode_core::{
    Approver, CancellationToken, EventSink, HookDecision, HookEvent, HookInput, HookOutcome,
    HookRun, Hooks, Message, Part, TurnOutcome,
};
use boocode_testkit::{Reply, ScriptedOpenAi};
use common::*;
use std::sync::{Arc, Mutex};

/// Keeps the turn going once at `Stop`, answers `PreToolUse` with `pre`, and logs every event.
#[derive(Debug)]
struct Scripted {
    pre: HookDecision,
    log: Mutex<Vec<(HookEvent, bool)>>,
}

#[async_trait::async_trait]
impl Hooks for Scripted {
    async fn run(&self, input: HookInput, _cancel: &CancellationToken) -> HookOutcome {
        self.log
            .lock()
            .unwrap()
            .push((input.event, input.stop_hook_active));
        let mut outcome = HookOutcome::default();
        let decision = match input.event {
            HookEvent::Stop if !input.stop_hook_active => {
                outcome.reason = Some("run the tests before you stop".into());
                HookDecision::Deny
            }
            HookEvent::PreToolUse => {
                outcome.reason = Some("a person should see this".into());
                self.pre
            }
            _ => HookDecision::None,
        };
        outcome.decision = decision;
        outcome
            .runs
            .push(HookRun::new(input.event, "scripted", decision));
        outcome
    }
}

#[derive(Debug)]
struct Approve(bool, Mutex<Vec<String>>);

#[async_trait::async_trait]
impl Approver for Approve {
    async fn approve(
        &self,
        _sink: &dyn EventSink,
        _call_id: Option<String>,
        tool: &str,
        _arguments: &serde_json::Value,
        summary: String,
    ) -> bool {
        self.1.lock().unwrap().push(format!("{tool}: {summary}"));
        self.0
    }
}

fn notices(message: &Message) -> Vec<String> {
    message
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Notice { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_stop_hook_sends_the_model_back_to_work_once() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::text("Done, I think."));
    server.push(Reply::text("Tests pass. Done."));
    let tools = tools();
    let hooks = Arc::new(Scripted {
        pre: HookDecision::None,
        log: Mutex::new(Vec::new()),
    });
    let mut config = config(&tools);
    config.hooks = Some(hooks.clone());
    let (result, _) = turn(&server, &tools, &config, &[Message::user("fix it")]).await;
    assert_eq!(result.outcome, TurnOutcome::Completed);
    let requests = server.completion_requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        request_shape(requests[1].messages()),
        vec![
            "user \"fix it\"",
            "assistant \"Done, I think.\" calls=[]",
            "user \"run the tests before you stop\"",
        ]
    );
    let log = hooks.log.lock().unwrap().clone();
    assert_eq!(
        log,
        [
            (HookEvent::SessionStart, false),
            (HookEvent::UserPromptSubmit, false),
            (HookEvent::Stop, false),
            (HookEvent::Stop, true),
        ]
    );
    // The hook's words are not the user's: nothing to store as a steering message.
    assert!(result.steered.is_empty());
    assert!(
        notices(&result.messages[0])
            .iter()
            .any(|n| n.starts_with("hook Stop `scripted`: keeps the turn going"))
    );
}

#[tokio::test]
async fn ask_goes_to_the_approver_and_without_one_is_refused() {
    for approver in [None, Some(true), Some(false)] {
        let server = ScriptedOpenAi::start().await.unwrap();
        server.push(Reply::stream().tool_call("c1", "grep", &[r#"{"pattern": "main"}"#]));
        server.push(Reply::text("ok"));
        server.push(Reply::text("ok"));
        let tools = tools();
        let mut config = config(&tools);
        config.hooks = Some(Arc::new(Scripted {
            pre: HookDecision::Ask,
            log: Mutex::new(Vec::new()),
        }));
        let approve = approver.map(|yes| Arc::new(Approve(yes, Mutex::new(Vec::new()))));
        if let Some(a) = &approve {
            config.approver = Some(a.clone());
        }
        let (_, _) = turn(&server, &tools, &config, &[Message::user("find main")]).await;
        let shape = request_shape(server.completion_requests()[1].messages());
        let result = &shape[2];
        match approver {
            None => assert!(
                result.contains(
                    "wants this call confirmed (a person should see this) and no one can be asked"
                ),
                "{result}"
            ),
            Some(true) => assert!(result.contains("match for main"), "{result}"),
            Some(false) => assert!(result.contains("denied by the user"), "{result}"),
        }
        if let Some(a) = approve {
            let asked = a.1.lock().unwrap().clone();
            assert_eq!(asked.len(), 1);
            assert!(
                asked[0].starts_with("grep: grep {\"pattern\":\"main\"}"),
                "{asked:?}"
            );
        }
    }
}
