//! Properties: whatever the path and whatever the symlink layout, nothing outside the project
//! root is ever read — not by the guard, not by the read tools — and nothing outside it is ever
//! written, created or deleted by the write tools, applying their changes, or rewinding them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use boocode_core::{ChangeScope, MemoryChangeQueue, ToolContext};
use boocode_tools::{
    Access, PathGuard, Tier, ToolEnv, WriteMode, apply_pending, read_tools, rewind, write_tools,
};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const CANARY: &str = "CANARY-OUTSIDE-THE-ROOT";
const LINK_SITES: &[&str] = &["l1", "a/l2", "a/b/l3"];

#[derive(Debug, Clone)]
enum Target {
    OutsideDir,
    OutsideFile,
    OutsideMissing,
    Relative(&'static str),
    Absolute(&'static str),
}

fn target_strategy() -> impl Strategy<Value = Target> {
    prop_oneof![
        Just(Target::OutsideDir),
        Just(Target::OutsideFile),
        Just(Target::OutsideMissing),
        prop::sample::select(vec![
            "..", "../..", "../../..", "a", "a/f.txt", "b", "f.txt", "l1", "l2", "../l1", "missing"
        ])
        .prop_map(Target::Relative),
        prop::sample::select(vec!["/", "/etc", "/etc/passwd", "/tmp", "/proc/self/root"])
            .prop_map(Target::Absolute),
    ]
}

fn component_strategy() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "a",
        "b",
        "f.txt",
        "l1",
        "l2",
        "l3",
        "..",
        ".",
        "canary.txt",
        "odir",
        "",
        "missing",
        "x.rs",
    ])
}

/// Paths that start at a link site (or walk into one) are the interesting ones.
fn first_component_strategy() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        3 => prop::sample::select(vec!["l1", "a", ".."]),
        1 => component_strategy(),
    ]
}

#[derive(Debug, Clone)]
enum Start {
    Relative,
    RootAbsolute,
    OutsideAbsolute,
    Slash,
}

fn start_strategy() -> impl Strategy<Value = Start> {
    prop_oneof![
        4 => Just(Start::Relative),
        1 => Just(Start::RootAbsolute),
        1 => Just(Start::OutsideAbsolute),
        1 => Just(Start::Slash),
    ]
}

struct World {
    root: tempfile::TempDir,
    outside: tempfile::TempDir,
}

fn build(links: &[(usize, Target)]) -> World {
    let root = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("a/b")).unwrap();
    std::fs::write(root.path().join("a/f.txt"), "inside").unwrap();
    std::fs::create_dir_all(outside.path().join("odir")).unwrap();
    std::fs::write(outside.path().join("canary.txt"), CANARY).unwrap();
    std::fs::write(outside.path().join("odir/canary.txt"), CANARY).unwrap();
    for (site, target) in links {
        let link = root.path().join(LINK_SITES[*site % LINK_SITES.len()]);
        if link.symlink_metadata().is_ok() {
            continue;
        }
        let to: PathBuf = match target {
            Target::OutsideDir => outside.path().to_path_buf(),
            Target::OutsideFile => outside.path().join("canary.txt"),
            Target::OutsideMissing => outside.path().join("new/file.txt"),
            Target::Relative(r) => PathBuf::from(r),
            Target::Absolute(a) => PathBuf::from(a),
        };
        symlink(to, link).unwrap();
    }
    World { root, outside }
}

fn path_of(world: &World, start: &Start, parts: &[&str]) -> String {
    let joined = parts.join("/");
    match start {
        Start::Relative => joined,
        Start::RootAbsolute => format!("{}/{joined}", world.root.path().display()),
        Start::OutsideAbsolute => format!("{}/{joined}", world.outside.path().display()),
        Start::Slash => format!("/{joined}"),
    }
}

/// Every entry under `dir` (links not followed) with its content or link target.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let meta = path.symlink_metadata().unwrap();
            let what = if meta.file_type().is_symlink() {
                format!("-> {}", std::fs::read_link(&path).unwrap().display())
            } else if meta.is_dir() {
                stack.push(path.clone());
                "dir".to_owned()
            } else {
                use std::os::unix::fs::PermissionsExt;
                format!(
                    "{:o} {}",
                    meta.permissions().mode(),
                    std::fs::read_to_string(&path).unwrap_or_default()
                )
            };
            out.insert(path, what);
        }
    }
    out
}

fn ctx(_root: &Path) -> ToolContext {
    ToolContext::new("p")
}

fn inside(path: &Path, root: &Path) -> bool {
    path.starts_with(root.canonicalize().unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn nothing_outside_the_root_is_ever_read(
        links in prop::collection::vec((0usize..3, target_strategy()), 1..4),
        start in start_strategy(),
        first in first_component_strategy(),
        rest in prop::collection::vec(component_strategy(), 0..5),
    ) {
        let world = build(&links);
        let mut parts = vec![first];
        parts.extend(rest);
        let input = path_of(&world, &start, &parts);
        let guard = PathGuard::new(world.root.path()).unwrap();

        for access in [Access::Read, Access::Write] {
            if let Ok(checked) = guard.resolve(&input, access) {
                prop_assert!(inside(checked.as_path(), world.root.path()), "{input} -> {:?}", checked.as_path());
                if checked.exists() && checked.as_path().is_file() {
                    let mut text = String::new();
                    if let Ok(mut file) = guard.open_read(&checked) {
                        use std::io::Read;
                        let _ = file.read_to_string(&mut text);
                    }
                    prop_assert!(!text.contains(CANARY), "{input} read the canary");
                }
            }
        }

        // The tools, end to end.
        let env = Arc::new(ToolEnv::new(guard));
        let (tools, _) = read_tools(env, Tier::Core, None);
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let ctx = ctx(world.root.path());
        for (tool, args) in [
            ("view_file", serde_json::json!({"path": input})),
            ("list_dir", serde_json::json!({"path": input, "depth": 5, "include_hidden": true})),
            ("grep", serde_json::json!({"pattern": "CANARY|inside", "path": input, "include_hidden": true})),
            ("find_files", serde_json::json!({"pattern": "*", "path": input, "include_hidden": true})),
        ] {
            let out = rt.block_on(tools.get(tool).unwrap().execute(args, &ctx));
            let text = match out {
                Ok(o) => o.content,
                Err(e) => e.to_string(),
            };
            prop_assert!(!text.contains(CANARY), "{tool} {input}: {text}");
            // Errors echo the input; beyond that, no outside name may appear in any output.
            if !input.contains("canary") {
                prop_assert!(!text.contains("canary.txt"), "{tool} {input} listed an outside file: {text}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn nothing_outside_the_root_is_ever_written(
        links in prop::collection::vec((0usize..3, target_strategy()), 1..4),
        start in start_strategy(),
        first in first_component_strategy(),
        rest in prop::collection::vec(component_strategy(), 0..5),
        auto in any::<bool>(),
    ) {
        let world = build(&links);
        let mut parts = vec![first];
        parts.extend(rest);
        let input = path_of(&world, &start, &parts);
        let before = snapshot(world.outside.path());

        let env = Arc::new(ToolEnv::new(PathGuard::new(world.root.path()).unwrap()));
        let queue = Arc::new(MemoryChangeQueue::new());
        let scope = ChangeScope(boocode_core::ChatId::new());
        let mode = if auto { WriteMode::AutoApply } else { WriteMode::Review };
        let tools = write_tools(env.clone(), queue.clone(), scope, mode);
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let ctx = ctx(world.root.path());
        for (tool, args) in [
            ("create_file", serde_json::json!({"path": input, "content": "written", "overwrite": true})),
            ("edit_file", serde_json::json!({"path": input, "old_string": "written", "new_string": "edited"})),
            ("edit_file", serde_json::json!({"path": input, "old_string": CANARY, "new_string": "gone"})),
            ("delete_file", serde_json::json!({"path": input})),
        ] {
            let _ = rt.block_on(tools.get(tool).unwrap().execute(args, &ctx));
        }
        rt.block_on(async {
            apply_pending(&env, queue.as_ref(), &scope, None).await.unwrap();
            rewind(&env, queue.as_ref(), &scope, None).await.unwrap();
        });
        prop_assert_eq!(snapshot(world.outside.path()), before, "{} wrote outside", input);
    }
}

/// Whether a path (relative to the root) names a file that runs code, in any spelling a
/// case-folding or dot-stripping filesystem would read as one: a `.git` component, `.envrc`,
/// or the editor and hook files.
fn execution_bearing(relative: &Path) -> bool {
    let parts: Vec<String> = relative
        .components()
        .map(|c| {
            let p = c
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(['.', ' '])
                .to_lowercase();
            if p == "git~1" { ".git".to_owned() } else { p }
        })
        .collect();
    parts.iter().any(|p| p == ".git")
        || parts.iter().rev().skip(1).any(|p| p == ".husky")
        || parts.last().is_some_and(|p| p == ".envrc")
        || parts.ends_with(&[".vscode".into(), "tasks.json".into()])
}

/// Every execution-bearing entry under `root` (links not followed), with its content. A
/// directory merely named `.envrc` (left by a rewound `.envrc/x`) runs nothing and is left out.
fn execution_bearing_snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    snapshot(root)
        .into_iter()
        .filter(|(p, what)| {
            let relative = p.strip_prefix(root).unwrap_or(p);
            execution_bearing(relative)
                && (what != "dir"
                    || relative.components().any(|c| {
                        let c = c.as_os_str().to_string_lossy().to_lowercase();
                        c.starts_with(".git") || c == "git~1" || c == ".husky"
                    }))
        })
        .collect()
}

fn git_component_strategy() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        ".git",
        ".GIT",
        ".Git",
        ".git.",
        ".git ",
        "git~1",
        "GIT~1",
        "hooks",
        "config",
        "pre-commit",
        ".envrc",
        ".ENVRC",
        ".vscode",
        "tasks.json",
        ".husky",
        "gl",
        "hl",
        "a",
        "..",
        ".",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_write_ever_lands_on_git_or_execution_bearing_files(
        parts in prop::collection::vec(git_component_strategy(), 1..5),
        absolute in any::<bool>(),
        auto in any::<bool>(),
    ) {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        std::fs::create_dir_all(r.join(".git/hooks")).unwrap();
        std::fs::create_dir_all(r.join("a")).unwrap();
        std::fs::write(r.join(".git/config"), "[core]\n").unwrap();
        std::fs::write(r.join(".git/hooks/pre-commit"), "#!/bin/sh\n").unwrap();
        std::fs::write(r.join(".envrc"), "export A=1\n").unwrap();
        // Links that lead into .git under innocent names.
        symlink(r.join(".git"), r.join("gl")).unwrap();
        symlink(".git/hooks", r.join("hl")).unwrap();
        symlink("../.git", r.join("a/up")).unwrap();
        let joined = parts.join("/");
        let input = if absolute { format!("{}/{joined}", r.display()) } else { joined };
        let before = execution_bearing_snapshot(r);

        let env = Arc::new(ToolEnv::new(PathGuard::new(r).unwrap()));
        let queue = Arc::new(MemoryChangeQueue::new());
        let scope = ChangeScope(boocode_core::ChatId::new());
        let mode = if auto { WriteMode::AutoApply } else { WriteMode::Review };
        let tools = write_tools(env.clone(), queue.clone(), scope, mode);
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let ctx = ctx(r);
        for (tool, args) in [
            ("create_file", serde_json::json!({"path": input, "content": "planted", "overwrite": true})),
            ("edit_file", serde_json::json!({"path": input, "old_string": "[core]", "new_string": "[core]\n\tfsmonitor = x"})),
            ("edit_file", serde_json::json!({"path": input, "old_string": "#!/bin/sh", "new_string": "#!/bin/sh\ntouch pwned"})),
            ("delete_file", serde_json::json!({"path": input})),
        ] {
            let _ = rt.block_on(tools.get(tool).unwrap().execute(args, &ctx));
        }
        rt.block_on(async {
            apply_pending(&env, queue.as_ref(), &scope, None).await.unwrap();
            rewind(&env, queue.as_ref(), &scope, None).await.unwrap();
        });
        prop_assert_eq!(execution_bearing_snapshot(r), before, "{} reached an execution-bearing file", input);
        // The guard itself refuses every write it resolves into one.
        if let Ok(checked) = env.paths().resolve(&input, Access::Write) {
            prop_assert!(!execution_bearing(checked.relative()), "{} resolved to {:?}", input, checked.relative());
        }
    }
}
