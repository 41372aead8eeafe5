//! Fuzzes `PathGuard::resolve` + `open_read` over a fixed layout full of hostile symlinks:
//! whatever the input, an accepted path is inside the root and never reads the canary.
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
        std::fs::write(outside.join("canary.txt"), CANARY).unwrap();
        let links: [(&str, PathBuf); 7] = [
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

fuzz_target!(|data: &[u8]| {
    let w = world();
    let input = String::from_utf8_lossy(data);
    for access in [Access::Read, Access::Write] {
        if let Ok(checked) = w.guard.resolve(&input, access) {
            assert!(checked.as_path().starts_with(&w.root), "{input:?} escaped to {:?}", checked.as_path());
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
