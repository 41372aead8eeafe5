//! The TypeScript types in `web/` are generated from the Rust types; this fails when the
//! checked-in file is stale. Regenerate with `UPDATE_TYPES=1 cargo test -p boocode-core --test
//! generated_types`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use std::path::PathBuf;

#[test]
fn checked_in_typescript_types_match_the_rust_types() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web/src/generated/types.ts");
    boocode_testkit::assert_checked_in(
        &path,
        &boocode_core::typescript_bindings(),
        "UPDATE_TYPES=1 cargo test -p boocode-core --test generated_types",
    );
}

#[test]
fn the_bindings_describe_the_event_union() {
    let ts = boocode_core::typescript_bindings();
    assert!(ts.contains("export type AgentEvent ="), "{ts}");
    assert!(ts.contains("\"type\": \"tool_call_finished\""), "{ts}");
    assert!(
        ts.contains("export type TurnOutcome = \"completed\" | \"step_cap\""),
        "{ts}"
    );
    // 64-bit counters are plain numbers in JSON, not bigint.
    assert!(!ts.contains("bigint"), "{ts}");
}
