//! Fuzzes `PathGuard::resolve` + `open_read` over a fixed layout full of hostile symlinks:
//! whatever the input, an accepted path is inside the root and never reads the canary, and a
//! path accepted for writing never names `.git` (in any spelling) or another execution-bearing
//! file, however it is spelled or linked to.
//!
//! RUSTC_BOOTSTRAP=1 cargo fuzz run path_guard -- -runs=1000000
#![no_main]

use boocode_tools::{Access, PathGuard};
use libfuzzer_sys::fuzz_target;
use std::io::Read;
use std::os::unix::fs::symlink;
use std::path::PathBuf;
use std::sync::OnceLock;

const CANARY: &str = "CANARY-OUTSIDE";

struct World {
    root: PathBuf,
    guard: PathGuard,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let base = std::env::temp_dir().join(format!("boocode-fuzz-{}", std::process::id()));
        let root = base.join("root");
        let outside = base.join("outside");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(root.join("a/f.txt"), "inside").unwrap();
        std::fs::create_dir_all(root.join(".git/hooks")).unwrap();
        std::fs::write(root.join(".git/config"), "[core]").unwrap();
        std::fs::write(root.join(".envrc"), "export A=1").unwrap();
        std::fs::write(outside.join("canary.txt"), CANARY).unwrap();
        let links: [(&str, PathBuf); 10] = [
            ("gl", root.join(".git")),
            ("a/hooks", PathBuf::from("../.git/hooks")),
            ("a/b/env", PathBuf::from("../../.envrc")),
            ("out", outside.clone()),
            ("a/canary", outside.join("canary.txt")),
            ("a/b/up", PathBuf::from("../../..")),
            ("slash", PathBuf::from("/")),
            ("dangling", outside.join("new.txt")),
            ("a/loop", PathBuf::from("loop2")),
            ("a/loop2", PathBuf::from("loop")),
        ];
        for (at, to) in links {
            let _ = symlink(to, root.join(at));
        }
        let guard = PathGuard::new(&root).unwrap();
        World {
            root: root.canonicalize().unwrap(),
            guard,
        }
    })
}

/// Whether a path relative to the root names an execution-bearing file in any spelling.
fn execution_bearing(relative: &std::path::Path) -> bool {
    let parts: Vec<String> = relative
        .components()
        .map(|c| {
            let p = c.as_os_str().to_string_lossy().trim_end_matches(['.', ' ']).to_lowercase();
            if p == "git~1" { ".git".to_owned() } else { p }
        })
        .collect();
    parts.iter().any(|p| p == ".git")
        || parts.iter().rev().skip(1).any(|p| p == ".husky") || parts.last().is_some_and(|p| p == ".envrc")
}

fuzz_target!(|data: &[u8]| {
    let w = world();
    let input = String::from_utf8_lossy(data);
    for access in [Access::Read, Access::Write] {
        if let Ok(checked) = w.guard.resolve(&input, access) {
            assert!(checked.as_path().starts_with(&w.root), "{input:?} escaped to {:?}", checked.as_path());
            if access == Access::Write {
                assert!(!execution_bearing(checked.relative()), "{input:?} may write {:?}", checked.relative());
            }
            if checked.exists() && checked.as_path().is_file() {
                if let Ok(mut file) = w.guard.open_read(&checked) {
                    let mut text = String::new();
                    let _ = file.read_to_string(&mut text);
                    assert!(!text.contains(CANARY), "{input:?} read the canary");
                }
            }
        }
    }
});
