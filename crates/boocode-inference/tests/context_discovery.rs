//! Context size discovery: each lookup, the fallbacks between them, and the negative cache.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use boocode_core::ModelClient;
use boocode_inference::{OpenAiClient, OpenAiConfig};
use boocode_testkit::ScriptedOpenAi;
use serde_json::json;

fn client(server: &ScriptedOpenAi, model: Option<&str>) -> OpenAiClient {
    let mut config = OpenAiConfig::new(server.url());
    config.model = model.map(str::to_owned);
    OpenAiClient::new(config).unwrap()
}

fn paths(server: &ScriptedOpenAi) -> Vec<String> {
    server.requests().into_iter().map(|r| r.path).collect()
}

#[tokio::test]
async fn llama_cpp_props_answers_first() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.set_props_n_ctx(Some(16384));
    let client = client(&server, Some("qwen"));
    assert_eq!(client.context_size(None).await, Some(16384));
    assert_eq!(paths(&server), vec!["/props"]);
    // Cached: no second lookup.
    assert_eq!(client.context_size(Some("qwen")).await, Some(16384));
    assert_eq!(paths(&server).len(), 1);
}

#[tokio::test]
async fn llama_swap_upstream_props_for_the_model() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.set_upstream_n_ctx("org/qwen-32b", 32768);
    let client = client(&server, None);
    assert_eq!(client.context_size(Some("org/qwen-32b")).await, Some(32768));
    assert_eq!(
        paths(&server),
        vec!["/props", "/upstream/org/qwen-32b/props"]
    );
}

#[tokio::test]
async fn v1_models_metadata_as_vllm_reports_it() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.set_models(json!({"object": "list", "data": [
        {"id": "other", "max_model_len": 4096},
        {"id": "served", "max_model_len": 65536}
    ]}));
    let client = client(&server, Some("served"));
    assert_eq!(client.context_size(None).await, Some(65536));
    assert_eq!(
        paths(&server),
        vec!["/props", "/upstream/served/props", "/v1/models"]
    );
    let models = client.list_models().await.unwrap();
    assert_eq!(models[1].id, "served");
    assert_eq!(models[1].context, Some(65536));
}

#[tokio::test]
async fn an_unknown_size_is_cached_negatively() {
    let server = ScriptedOpenAi::start().await.unwrap();
    let client = client(&server, Some("m"));
    assert_eq!(client.context_size(None).await, None);
    let first = paths(&server).len();
    assert_eq!(first, 3);
    assert_eq!(client.context_size(None).await, None);
    assert_eq!(
        paths(&server).len(),
        first,
        "a failed lookup is not repeated within 60 s"
    );
}

#[tokio::test]
async fn a_dead_server_gives_no_size_quickly() {
    let server = ScriptedOpenAi::start().await.unwrap();
    let client = client(&server, None);
    drop(server);
    assert_eq!(client.context_size(None).await, None);
}

#[tokio::test]
async fn an_oversized_model_listing_is_refused_not_buffered() {
    let server = ScriptedOpenAi::start().await.unwrap();
    let huge: Vec<serde_json::Value> = (0..60_000)
        .map(|i| json!({ "id": format!("model-{i:0>60}") }))
        .collect();
    server.set_models(json!({ "object": "list", "data": huge }));
    let err = client(&server, None).list_models().await.unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");
    server.set_models(json!({ "object": "list", "data": [{ "id": "small" }] }));
    let models = client(&server, None).list_models().await.unwrap();
    assert_eq!(models[0].id, "small");
}

#[tokio::test]
async fn a_switchable_client_moves_to_the_new_endpoint() {
    use boocode_inference::SwitchableClient;
    let first = ScriptedOpenAi::start().await.unwrap();
    let second = ScriptedOpenAi::start().await.unwrap();
    first.set_props_n_ctx(Some(1000));
    second.set_props_n_ctx(Some(2000));
    let switch = SwitchableClient::new(client(&first, Some("a")));
    assert_eq!(switch.context_size(None).await, Some(1000));
    assert_eq!(switch.default_model().as_deref(), Some("a"));
    let mut config = OpenAiConfig::new(second.url());
    config.model = Some("b".into());
    switch.replace(config).unwrap();
    assert_eq!(switch.context_size(None).await, Some(2000));
    assert_eq!(switch.default_model().as_deref(), Some("b"));
    // An unusable URL changes nothing.
    assert!(switch.replace(OpenAiConfig::new("ftp://x")).is_err());
    assert_eq!(switch.default_model().as_deref(), Some("b"));
}
