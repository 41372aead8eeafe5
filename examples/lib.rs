//! Runnable integration recipes for the BooCode crates; see the `[[example]]` entries
//! (`cargo run -p boocode-examples --example one_turn -- http://127.0.0.1:8080 "Say hi"`).
//!
//! ```
//! // The recipes are the examples; this library holds nothing.
//! ```
