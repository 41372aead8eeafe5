//! `boocode-coder`: not built yet. It holds its place in the workspace until its milestone lands
//! (see docs/ARCHITECTURE.md).

use std::process::ExitCode;

#[allow(clippy::print_stderr)]
fn main() -> ExitCode {
    eprintln!("boocode-coder is not built yet; see docs/ARCHITECTURE.md for the plan.");
    ExitCode::from(2)
}
