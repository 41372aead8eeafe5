//! The client sets its TLS configuration on itself: building one and using it installs no
//! process-wide rustls provider, so an embedder's own choice stands.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use boocode_core::{CancellationToken, Message, ModelClient, ModelRequest};
use boocode_inference::{OpenAiClient, OpenAiConfig};
use boocode_testkit::{Reply, ScriptedOpenAi};

#[tokio::test]
async fn a_client_installs_no_process_wide_tls_provider() {
    assert!(rustls::crypto::CryptoProvider::get_default().is_none());
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::text("hello"));
    let client = OpenAiClient::new(OpenAiConfig::new(server.url())).unwrap();
    // An HTTPS endpoint builds the same way (the TLS configuration is the client's own).
    OpenAiClient::new(OpenAiConfig::new("https://127.0.0.1:9")).unwrap();
    let request = ModelRequest::new(vec![Message::user("hi")]);
    let completion = client
        .complete(request, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(completion.text, "hello");
    assert!(
        rustls::crypto::CryptoProvider::get_default().is_none(),
        "a library must not install a process-wide TLS provider"
    );
}
