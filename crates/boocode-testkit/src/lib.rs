//! Test fixtures for BooCode. The model is the only thing BooCode's tests fake, and they fake it
//! here, with scripted servers on real loopback sockets: everything between BooCode and the
//! scripted model is real.
//!
//! ```no_run
//! use boocode_testkit::{Reply, ScriptedOpenAi};
//!
//! # async fn demo() -> std::io::Result<()> {
//! let server = ScriptedOpenAi::start().await?;
//! server.push(Reply::stream().reasoning("Let me look.").text("Hello").usage(12, 3));
//! server.push(Reply::error(503, "loading model"));
//! // Point a client at server.url(), then inspect what it sent:
//! let sent = server.completion_requests();
//! # let _ = sent;
//! # Ok(())
//! # }
//! ```

mod anthropic;
mod checked_in;
mod dialects;
mod openai;
mod peers;
#[cfg(feature = "postgres")]
mod postgres;
mod serve;

pub use anthropic::{AnthropicReply, ScriptedAnthropic, anthropic_reply_from_json};
pub use checked_in::assert_checked_in;
pub use dialects::{ApiReply, ScriptedApi};
pub use openai::{RecordedRequest, Reply, ScriptedOpenAi, StreamReply, reply_from_json};
pub use peers::{opencode_config, peer_bin};
#[cfg(feature = "postgres")]
pub use postgres::{DEFAULT_DATABASE_URL, PgTestDb};
