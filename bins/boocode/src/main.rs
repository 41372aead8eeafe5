//! `boocode`: not built yet. `boocode run` lands with the guarded-tools milestone
//! (see docs/ARCHITECTURE.md).

use std::process::ExitCode;

#[allow(clippy::print_stderr)]
fn main() -> ExitCode {
    eprintln!("boocode is not built yet; see docs/ARCHITECTURE.md for the plan.");
    ExitCode::from(2)
}
