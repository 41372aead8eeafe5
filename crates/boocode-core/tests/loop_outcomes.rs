//! Every way a turn can end, driven through the real HTTP client against the scripted server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use boocode_core::{
    AgentDef, AgentEvent, CancellationToken, CollectSink, EventSink, FnSink, Message, MessageKind,
    MessageStatus, Part, ToolSet, TurnLimits, TurnOutcome, run_turn,
};
use boocode_testkit::{Reply, ScriptedOpenAi};
use common::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test]
async fn completed_turn_with_a_tool_call() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(
        Reply::stream()
            .reasoning("Need to search.")
            .text("Searching.")
            .tool_call("call_1", "grep", &["{\"pat", "tern\": \"fn main\"}"])
            .usage(100, 20),
    );
    server.push(
        Reply::stream()
            .text("Found it in ")
            .text("main.rs.")
            .usage(150, 8),
    );
    let tools = tools();
    let (result, events) = turn(
        &server,
        &tools,
        &config(&tools),
        &[Message::user("where is main?")],
    )
    .await;

    assert_eq!(result.outcome, TurnOutcome::Completed);
    insta::assert_snapshot!(render(&events));
    let message = &result.messages[0];
    assert_eq!(message.status, MessageStatus::Complete);
    assert_eq!(result.messages.len(), 1, "no sentinel for a completed turn");
    assert_eq!(message.text(), "Searching.Found it in main.rs.");
    assert_eq!(result.usage.prompt_tokens, 250);
    assert_eq!(result.usage.completion_tokens, 28);
    assert_eq!(result.usage.ctx_used, 158);

    // The tool result reached the model in the second request.
    let requests = server.completion_requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        request_shape(requests[1].messages()),
        vec![
            "user \"where is main?\"",
            "assistant \"Searching.\" calls=[\"call_1\"]",
            "tool call_1 match for fn main",
        ]
    );
    assert_eq!(requests[0].body["tools"][0]["function"]["name"], "grep");
}

#[tokio::test]
async fn step_cap_ends_with_a_sentinel() {
    let server = ScriptedOpenAi::start().await.unwrap();
    for n in 0..2 {
        server.push(Reply::stream().tool_call(
            &format!("c{n}"),
            "grep",
            &[&format!("{{\"pattern\":\"{n}\"}}")],
        ));
    }
    let tools = tools();
    let agent = AgentDef::parse("a.md", "---\nname: capped\nsteps: 2\n---\nGo.").unwrap();
    let mut config = config(&tools);
    config.limits = TurnLimits::for_agent(Some(&agent), &tools);
    let (result, events) = turn(&server, &tools, &config, &[Message::user("loop")]).await;

    assert_eq!(result.outcome, TurnOutcome::StepCap);
    insta::assert_snapshot!(render(&events));
    assert_eq!(server.completion_requests().len(), 2);
    let sentinel = &result.messages[1];
    assert_eq!(sentinel.kind, MessageKind::Sentinel);
    assert!(
        sentinel.text().contains("step limit (2 model requests)"),
        "{}",
        sentinel.text()
    );
    assert_eq!(result.messages[0].status, MessageStatus::Complete);
}

#[tokio::test]
async fn budget_exhausted_ends_with_a_sentinel_and_unrun_calls_get_results() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(
        Reply::stream()
            .tool_call("a", "grep", &["{\"pattern\":\"1\"}"])
            .tool_call("b", "grep", &["{\"pattern\":\"2\"}"])
            .tool_call("c", "grep", &["{\"pattern\":\"3\"}"]),
    );
    let tools = tools();
    let mut config = config(&tools);
    config.limits.tool_budget = 2;
    let (result, events) = turn(&server, &tools, &config, &[Message::user("many")]).await;

    assert_eq!(result.outcome, TurnOutcome::BudgetExhausted);
    insta::assert_snapshot!(render(&events));
    let results: Vec<(String, bool)> = result.messages[0]
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::ToolResult {
                call_id, is_error, ..
            } => Some((call_id.clone(), *is_error)),
            _ => None,
        })
        .collect();
    assert_eq!(
        results,
        vec![("a".into(), false), ("b".into(), false), ("c".into(), true)]
    );
    assert!(result.messages[1].text().contains("budget (2 calls)"));
}

#[tokio::test]
async fn doom_loop_stops_the_third_identical_call() {
    let server = ScriptedOpenAi::start().await.unwrap();
    for n in 0..3 {
        // Same call, key order and spacing varied: still the same call.
        let args = if n == 1 {
            "{ \"pattern\" : \"x\" }"
        } else {
            "{\"pattern\":\"x\"}"
        };
        server.push(Reply::stream().tool_call(&format!("d{n}"), "grep", &[args]));
    }
    server.push(Reply::text("never reached"));
    let tools = tools();
    let (result, events) = turn(&server, &tools, &config(&tools), &[Message::user("go")]).await;

    assert_eq!(result.outcome, TurnOutcome::DoomLoop);
    insta::assert_snapshot!(render(&events));
    assert_eq!(
        server.remaining(),
        1,
        "the loop must stop before a fourth request"
    );
    assert!(
        result.messages[1]
            .text()
            .contains("`grep` was called with the same arguments 3 times")
    );
}

#[tokio::test]
async fn cancel_mid_stream_ends_cancelled_and_keeps_the_partial_text() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(
        Reply::stream()
            .text("partial ")
            .delay(Duration::from_secs(30))
            .text("never"),
    );
    let tools = tools();
    let config = config(&tools);
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let sink = Arc::new(CollectSink::new());
    let watcher = sink.clone();
    let tee = FnSink(move |event: AgentEvent| {
        if matches!(event, AgentEvent::TextDelta { .. }) {
            trigger.cancel();
        }
        watcher.emit(event);
    });
    let started = Instant::now();
    let result = run_turn(
        &client(&server),
        &tools,
        &[Message::user("hi")],
        &config,
        &tee,
        &cancel,
    )
    .await;

    assert!(
        started.elapsed() < Duration::from_secs(10),
        "cancel must not wait for the stream"
    );
    assert_eq!(result.outcome, TurnOutcome::Cancelled);
    assert_eq!(result.messages[0].status, MessageStatus::Cancelled);
    assert_eq!(result.messages[0].text(), "partial ");
    insta::assert_snapshot!(render(&sink.events()));
}

#[tokio::test]
async fn cancel_after_a_cleanly_closed_stream_is_still_cancelled() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(
        Reply::stream()
            .text("Let me run it.")
            .tool_call("x1", "grep", &["{\"pattern\":\"a\"}"])
            .usage(10, 3),
    );
    let tools = tools();
    let config = config(&tools);
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    // The usage event comes after the stream finished normally: cancel exactly then.
    let sink = Arc::new(CollectSink::new());
    let watcher = sink.clone();
    let tee = FnSink(move |event: AgentEvent| {
        if matches!(event, AgentEvent::Usage { .. }) {
            trigger.cancel();
        }
        watcher.emit(event);
    });
    let result = run_turn(
        &client(&server),
        &tools,
        &[Message::user("hi")],
        &config,
        &tee,
        &cancel,
    )
    .await;

    assert_eq!(result.outcome, TurnOutcome::Cancelled);
    assert!(
        !sink
            .events()
            .iter()
            .any(|e| matches!(e, AgentEvent::ToolCallFinished { .. })),
        "no tool may run after the cancel"
    );
    assert_eq!(server.completion_requests().len(), 1);
}

#[tokio::test]
async fn cancel_during_a_tool_aborts_it_and_the_next_turn_sends_a_valid_history() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::stream().tool_call("h1", "hang", &["{\"pattern\":\"z\"}"]));
    let tools = ToolSet::new().with(Hang).with(Grep);
    let config = config(&tools);
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let tee = FnSink(move |event: AgentEvent| {
        if matches!(
            event,
            AgentEvent::Status {
                status: boocode_core::ChatStatus::ToolRunning
            }
        ) {
            let t = trigger.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                t.cancel();
            });
        }
    });
    let history = vec![Message::user("hang please")];
    let result = run_turn(&client(&server), &tools, &history, &config, &tee, &cancel).await;
    assert_eq!(result.outcome, TurnOutcome::Cancelled);
    assert_eq!(result.messages[0].status, MessageStatus::Cancelled);

    // The next turn starts from the stored history, interrupted row included.
    let mut history = history;
    history.extend(result.messages);
    history.push(Message::user("never mind"));
    server.push(Reply::text("OK."));
    let (next, _) = turn(&server, &tools, &config, &history).await;
    assert_eq!(next.outcome, TurnOutcome::Completed);
    let sent = &server.completion_requests()[1];
    let shape = request_shape(sent.messages());
    assert_eq!(shape[1], "assistant \"\" calls=[\"h1\"]");
    assert!(shape[2].starts_with("tool h1 aborted"), "{shape:?}");
    assert_eq!(shape[3], "user \"never mind\"");
}

#[tokio::test]
async fn upstream_error_ends_the_turn_with_the_status_and_body() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::error(400, "context length exceeded"));
    let tools = tools();
    let (result, events) = turn(&server, &tools, &config(&tools), &[Message::user("hi")]).await;

    assert_eq!(result.outcome, TurnOutcome::Error);
    assert_eq!(result.messages[0].status, MessageStatus::Failed);
    let error = result.error.unwrap();
    assert!(
        error.contains("HTTP 400") && error.contains("context length exceeded"),
        "{error}"
    );
    assert_eq!(
        server.completion_requests().len(),
        1,
        "a 400 is not retried"
    );
    insta::assert_snapshot!(render(&events).replace(&server.url(), "http://SERVER"));
}

#[tokio::test]
async fn a_dead_endpoint_ends_with_an_error_naming_the_url() {
    let server = ScriptedOpenAi::start().await.unwrap();
    let url = server.url();
    let client = client(&server);
    drop(server);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let tools = tools();
    let result = run_turn(
        &client,
        &tools,
        &[Message::user("hi")],
        &config(&tools),
        &CollectSink::new(),
        &CancellationToken::new(),
    )
    .await;
    assert_eq!(result.outcome, TurnOutcome::Error);
    let error = result.error.unwrap();
    assert!(
        error.contains(&url) && error.contains("cannot reach"),
        "{error}"
    );
}

#[tokio::test]
async fn malformed_arguments_and_unknown_tools_go_back_to_the_model() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(
        Reply::stream()
            .tool_call("m1", "grep", &["{\"pattern\": "])
            .tool_call("m2", "grep", &["{\"patern\": \"x\"}"])
            .tool_call("m3", "nonexistent", &["{}"]),
    );
    server.push(Reply::text("Sorry, retrying is not needed."));
    let tools = tools();
    let (result, _) = turn(&server, &tools, &config(&tools), &[Message::user("hi")]).await;

    assert_eq!(result.outcome, TurnOutcome::Completed);
    let shape = request_shape(server.completion_requests()[1].messages());
    assert!(
        shape[2].starts_with("tool m1 tool arguments are not valid JSON"),
        "{shape:?}"
    );
    assert!(
        shape[3].contains("invalid arguments for grep: missing field `pattern`"),
        "{shape:?}"
    );
    assert_eq!(
        shape[4],
        "tool m3 unknown tool `nonexistent`; available tools: grep"
    );
}

#[tokio::test]
async fn a_fatal_tool_error_ends_the_turn_as_an_error() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::stream().tool_call("f1", "broken", &["{\"pattern\":\"x\"}"]));
    let tools = ToolSet::new().with(Broken);
    let (result, _) = turn(&server, &tools, &config(&tools), &[Message::user("hi")]).await;
    assert_eq!(result.outcome, TurnOutcome::Error);
    assert!(result.error.unwrap().contains("the index database is gone"));
    assert_eq!(server.completion_requests().len(), 1);
}

#[tokio::test]
async fn read_only_calls_run_concurrently_and_writes_run_in_order() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(
        Reply::stream()
            .tool_call("r1", "rendezvous", &["{\"pattern\":\"a\"}"])
            .tool_call("r2", "rendezvous", &["{\"pattern\":\"b\"}"])
            .tool_call("w1", "write", &["{\"pattern\":\"1\"}"])
            .tool_call("w2", "write", &["{\"pattern\":\"2\"}"]),
    );
    server.push(Reply::text("done"));
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let tools = ToolSet::new()
        .with(Rendezvous(Arc::new(tokio::sync::Barrier::new(2))))
        .with(Write(log.clone()));
    let (result, _) = turn(&server, &tools, &config(&tools), &[Message::user("go")]).await;

    assert_eq!(result.outcome, TurnOutcome::Completed);
    let shape = request_shape(server.completion_requests()[1].messages());
    assert_eq!(
        shape[2], "tool r1 met a",
        "read-only calls must run at the same time"
    );
    assert_eq!(shape[3], "tool r2 met b");
    assert_eq!(
        *log.lock().unwrap(),
        vec!["start 1", "end 1", "start 2", "end 2"]
    );
}

#[tokio::test]
async fn a_text_only_agent_offers_no_tools_and_ignores_calls() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::stream().text("I would grep.").tool_call(
        "t1",
        "grep",
        &["{\"pattern\":\"x\"}"],
    ));
    let tools = tools();
    let agent = AgentDef::parse("a.md", "---\nname: talker\nsteps: 0\n---\nTalk only.").unwrap();
    let mut config = config(&tools);
    config.limits = TurnLimits::for_agent(Some(&agent), &tools);
    let (result, events) = turn(&server, &tools, &config, &[Message::user("hi")]).await;

    assert_eq!(result.outcome, TurnOutcome::Completed);
    assert!(server.completion_requests()[0].body.get("tools").is_none());
    assert!(
        events.iter().any(
            |e| matches!(e, AgentEvent::Notice { message, .. } if message.contains("text-only"))
        )
    );
    assert!(
        !result.messages[0]
            .parts
            .iter()
            .any(|p| matches!(p, Part::ToolCall { .. }))
    );
    // The notice is kept with the message, so a reload shows it too.
    assert!(
        result.messages[0]
            .parts
            .iter()
            .any(|p| matches!(p, Part::Notice { message, .. } if message.contains("text-only")))
    );
}

#[tokio::test]
async fn reused_call_ids_are_made_unique_within_the_chat() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::stream().tool_call("call_0", "grep", &["{\"pattern\":\"a\"}"]));
    server.push(Reply::stream().tool_call("call_0", "grep", &["{\"pattern\":\"b\"}"]));
    server.push(Reply::text("done"));
    let tools = tools();
    let (result, _) = turn(&server, &tools, &config(&tools), &[Message::user("hi")]).await;
    assert_eq!(result.outcome, TurnOutcome::Completed);
    let shape = request_shape(server.completion_requests()[2].messages());
    assert_eq!(
        shape[1..],
        [
            "assistant \"\" calls=[\"call_0\"]",
            "tool call_0 match for a",
            "assistant \"\" calls=[\"call_0_2\"]",
            "tool call_0_2 match for b",
        ]
    );
}

#[tokio::test]
async fn inline_xml_tool_calls_run_like_native_ones() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(
        Reply::stream()
            .text("Checking.\n<tool_")
            .text("call>\n<function=grep>\n<parameter=pattern>\nfn ")
            .text("main\n</parameter>\n</function>\n</tool_call>"),
    );
    server.push(Reply::text("It is in main.rs."));
    let tools = tools();
    let (result, events) = turn(
        &server,
        &tools,
        &config(&tools),
        &[Message::user("find main")],
    )
    .await;

    assert_eq!(result.outcome, TurnOutcome::Completed);
    let shown: String = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(shown, "Checking.\nIt is in main.rs.");
    let shape = request_shape(server.completion_requests()[1].messages());
    assert!(shape[2].ends_with("match for fn main"), "{shape:?}");
}
