//! HTTP clients whose TLS is chosen per client: rustls with the ring provider and the
//! platform's certificate verifier, set on the client itself. Nothing process-wide is installed,
//! so an embedder's own choice of TLS provider stands.

use std::sync::Arc;

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up TLS: {0}")]
pub struct TlsError(#[from] rustls::Error);

/// A `reqwest` client builder with BooCode's TLS configuration (HTTP/1.1).
pub fn client_builder() -> Result<reqwest::ClientBuilder, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(reqwest::Client::builder().tls_backend_preconfigured(config))
}
