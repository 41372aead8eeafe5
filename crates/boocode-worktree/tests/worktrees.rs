//! Worktrees on real git repositories and plain directories.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use boocode_worktree::{ChangeKind, WorktreeError, WorktreeKind, WorktreeOptions, Worktrees};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A repository with a commit: `src/lib.rs`, `README.md`, `.gitignore` (target/).
fn repo(root: &Path) -> PathBuf {
    let repo = root.join("repo");
    write(
        &repo.join("src/lib.rs"),
        "pub fn answer() -> u32 {\n    41\n}\n",
    );
    write(&repo.join("README.md"), "# demo\n");
    write(&repo.join(".gitignore"), "target/\n");
    write(&repo.join(".env.example"), "PORT=8080\n");
    git(&repo, &["init", "--quiet", "--initial-branch=main"]);
    git(&repo, &["add", "--all"]);
    git(&repo, &["commit", "--quiet", "-m", "start"]);
    repo
}

/// Every file under `dir` (`.git` aside) with its content: to check nothing changed.
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut all = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_name() == ".git" {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                all.insert(rel, std::fs::read(&path).unwrap_or_default());
            }
        }
    }
    all
}

fn worktree_list(repo: &Path) -> String {
    git(repo, &["worktree", "list", "--porcelain"])
}

#[tokio::test]
async fn agents_write_only_in_their_own_worktrees_and_removal_leaves_git_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo(tmp.path());
    // A hook that would leave a trace if git ran it for us.
    let trace = tmp.path().join("hook-ran");
    write(
        &repo.join(".git/hooks/post-checkout"),
        &format!("#!/bin/sh\ntouch {}\n", trace.display()),
    );
    Command::new("chmod")
        .args(["+x", ".git/hooks/post-checkout"])
        .current_dir(&repo)
        .status()
        .unwrap();
    let before_list = worktree_list(&repo);
    let main_before = contents(&repo);
    let worktrees = Worktrees::open(&repo, tmp.path().join("home"))
        .await
        .unwrap();
    assert_eq!(worktrees.kind(), WorktreeKind::Git);

    let a = worktrees
        .create(WorktreeOptions::new("contender 1"))
        .await
        .unwrap();
    let b = worktrees
        .create(WorktreeOptions::new("contender 2"))
        .await
        .unwrap();
    assert_ne!(a.path(), b.path());
    assert_eq!(
        a.owner().base_commit.as_deref(),
        Some(git(&repo, &["rev-parse", "HEAD"]).trim())
    );
    assert!(!trace.exists(), "a hook ran");
    // Detached: no branch was made.
    assert_eq!(git(&repo, &["branch", "--list"]).trim(), "* main");

    // Each agent writes in its own tree.
    write(
        &a.workdir().join("src/lib.rs"),
        "pub fn answer() -> u32 {\n    42\n}\n",
    );
    write(&a.workdir().join("src/new.rs"), "// new\n// file\n");
    std::fs::remove_file(a.workdir().join("README.md")).unwrap();
    write(&a.workdir().join("target/out.o"), "ignored build output");
    let b_before = contents(&b.workdir());
    write(&b.workdir().join("NOTES.md"), "b was here\n");

    assert_eq!(contents(&repo), main_before, "the main tree is untouched");
    let mut b_now = contents(&b.workdir());
    b_now.remove("NOTES.md");
    assert_eq!(b_now, b_before, "a's writes did not reach b");

    let changes = a.changes().await.unwrap();
    let summary: Vec<(String, ChangeKind, u64, u64)> = changes
        .iter()
        .map(|c| (c.path.clone(), c.kind, c.added, c.removed))
        .collect();
    assert_eq!(
        summary,
        [
            ("README.md".to_owned(), ChangeKind::Deleted, 0, 1),
            ("src/lib.rs".to_owned(), ChangeKind::Modified, 1, 1),
            ("src/new.rs".to_owned(), ChangeKind::Added, 2, 0),
        ]
    );
    let lib = &changes[1];
    assert_eq!(
        lib.before.as_deref(),
        Some(&b"pub fn answer() -> u32 {\n    41\n}\n"[..])
    );
    assert_eq!(
        lib.after.as_deref(),
        Some(&b"pub fn answer() -> u32 {\n    42\n}\n"[..])
    );
    assert_eq!(lib.mode, Some(0o644));
    assert_eq!(changes[0].after, None);
    assert_eq!(changes[2].before, None);
    // Asking again changes nothing.
    assert_eq!(a.changes().await.unwrap(), changes);
    assert_eq!(b.changes().await.unwrap().len(), 1);

    // Listed, then removed: git is as before.
    let listed: Vec<String> = worktrees
        .list()
        .await
        .unwrap()
        .iter()
        .map(|w| w.id().to_owned())
        .collect();
    assert_eq!(listed, [a.id().to_owned(), b.id().to_owned()]);
    worktrees.remove(a.id()).await.unwrap();
    worktrees.remove(b.id()).await.unwrap();
    assert_eq!(worktree_list(&repo), before_list);
    assert!(!a.path().exists() && !b.path().exists());
    assert!(worktrees.list().await.unwrap().is_empty());
    assert!(matches!(
        worktrees.remove(a.id()).await,
        Err(WorktreeError::NotFound(_))
    ));
    assert_eq!(contents(&repo), main_before);
}

#[tokio::test]
async fn a_worktree_the_user_made_is_never_touched_and_broken_ones_of_ours_are_pruned() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo(tmp.path());
    let home = tmp.path().join("home");
    // The user's own worktrees: one alive, one whose directory they deleted (git calls it
    // prunable) — and one they put inside BooCode's directory by mistake.
    let theirs = tmp.path().join("their-tree");
    git(
        &repo,
        &[
            "worktree",
            "add",
            "--quiet",
            "-b",
            "feature",
            theirs.to_str().unwrap(),
        ],
    );
    let gone = tmp.path().join("their-gone-tree");
    git(
        &repo,
        &[
            "worktree",
            "add",
            "--quiet",
            "--detach",
            gone.to_str().unwrap(),
        ],
    );
    std::fs::remove_dir_all(&gone).unwrap();
    let worktrees = Worktrees::open(&repo, &home).await.unwrap();
    let squatter = home.join("wt_0123abcd");
    git(
        &repo,
        &[
            "worktree",
            "add",
            "--quiet",
            "--detach",
            squatter.join("tree").to_str().unwrap(),
        ],
    );
    let before = worktree_list(&repo);

    let ours = worktrees
        .create(WorktreeOptions::new("mine"))
        .await
        .unwrap();
    let crashed = worktrees
        .create(WorktreeOptions::new("crashed"))
        .await
        .unwrap();
    std::fs::remove_dir_all(crashed.path()).unwrap();
    assert_eq!(worktrees.prune().await.unwrap(), 1);
    let left: Vec<String> = worktrees
        .list()
        .await
        .unwrap()
        .iter()
        .map(|w| w.id().to_owned())
        .collect();
    assert_eq!(left, [ours.id().to_owned()]);
    // Not ours: not listed, not removable.
    assert!(matches!(
        worktrees.remove("wt_0123abcd").await,
        Err(WorktreeError::NotFound(_))
    ));
    for hostile in ["../repo", "wt_../../x", "", "wt_"] {
        assert!(matches!(
            worktrees.get(hostile).await,
            Err(WorktreeError::NotFound(_))
        ));
    }
    worktrees.remove(ours.id()).await.unwrap();
    assert_eq!(
        worktree_list(&repo),
        before,
        "the user's worktrees are as they were"
    );
    assert!(theirs.join("src/lib.rs").exists());
    assert!(squatter.join("tree/src/lib.rs").exists());
}

#[tokio::test]
async fn uncommitted_work_and_listed_files_come_along_but_secrets_never_do() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo(tmp.path());
    write(
        &repo.join("src/lib.rs"),
        "pub fn answer() -> u32 {\n    40\n}\n",
    );
    write(&repo.join("src/draft.rs"), "// untracked draft\n");
    write(&repo.join("config/.env"), "TOKEN=untracked-secret\n");
    write(&repo.join(".env"), "TOKEN=root-secret\n");
    let worktrees = Worktrees::open(&repo, tmp.path().join("home"))
        .await
        .unwrap();
    let tree = worktrees
        .create(
            WorktreeOptions::new("with work")
                .include_uncommitted()
                .copy(".env.example", ".env"),
        )
        .await
        .unwrap();
    let dir = tree.workdir();
    assert!(
        std::fs::read_to_string(dir.join("src/lib.rs"))
            .unwrap()
            .contains("40")
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("src/draft.rs")).unwrap(),
        "// untracked draft\n"
    );
    assert!(
        !dir.join("config/.env").exists(),
        "an untracked secret was copied"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join(".env")).unwrap(),
        "PORT=8080\n"
    );
    // What it started with is not a change.
    assert!(tree.changes().await.unwrap().is_empty());

    for (from, to, why) in [
        (".env", ".env", "secret"),
        ("../outside", "x", "relative"),
        ("/etc/passwd", "x", "relative"),
        ("README.md", ".git/hooks/pre-commit", ""),
        ("missing.txt", "x", ""),
    ] {
        let err = worktrees
            .create(WorktreeOptions::new("refused").copy(from, to))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, WorktreeError::Refused { reason, .. } if reason.contains(why)),
            "{from} → {to}: {err}"
        );
    }
    // A refused one leaves nothing behind.
    let ids: Vec<String> = worktrees
        .list()
        .await
        .unwrap()
        .iter()
        .map(|w| w.id().to_owned())
        .collect();
    assert_eq!(ids, [tree.id().to_owned()]);
    assert_eq!(
        std::fs::read_dir(tmp.path().join("home")).unwrap().count(),
        1
    );
    assert_eq!(
        git(&repo, &["worktree", "list"]).lines().count(),
        2,
        "one main tree and ours"
    );
}

#[tokio::test]
async fn a_project_in_a_subdirectory_works_there_and_reports_paths_from_it() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = repo(tmp.path());
    write(&repo.join("app/main.py"), "print('hi')\n");
    git(&repo, &["add", "--all"]);
    git(&repo, &["commit", "--quiet", "-m", "app"]);
    let worktrees = Worktrees::open(repo.join("app"), tmp.path().join("home"))
        .await
        .unwrap();
    let tree = worktrees.create(WorktreeOptions::new("sub")).await.unwrap();
    assert!(tree.workdir().ends_with("tree/app"));
    write(&tree.workdir().join("main.py"), "print('hello')\n");
    write(&tree.path().join("README.md"), "# outside the project\n");
    let changes = tree.changes().await.unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].path, "main.py");
    worktrees.remove(tree.id()).await.unwrap();
}

#[tokio::test]
async fn a_plain_directory_gets_a_copy_that_honours_gitignore_and_leaves_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("plain");
    write(&project.join("main.c"), "int main(void) { return 0; }\n");
    write(&project.join(".gitignore"), "build/\n");
    write(&project.join("build/a.out"), "binary");
    write(&project.join(".env"), "TOKEN=secret\n");
    write(&project.join("docs/guide.md"), "# guide\n");
    std::os::unix::fs::symlink("main.c", project.join("link.c")).unwrap();
    let before = contents(&project);
    let worktrees = Worktrees::open(&project, tmp.path().join("home"))
        .await
        .unwrap();
    assert_eq!(worktrees.kind(), WorktreeKind::Copy);
    let tree = worktrees
        .create(WorktreeOptions::new("copy"))
        .await
        .unwrap();
    let dir = tree.workdir();
    let copied: Vec<String> = contents(&dir).into_keys().collect();
    assert_eq!(
        copied,
        [".gitignore", "docs/guide.md", "link.c", "main.c"],
        "ignored and secret files stay behind"
    );
    assert!(
        std::fs::symlink_metadata(dir.join("link.c"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // The copy is not a git repository to its agent.
    assert!(!dir.join(".git").exists());

    write(&dir.join("main.c"), "int main(void) { return 1; }\n");
    write(&dir.join("util.c"), "void util(void) {}\n");
    let changes = tree.changes().await.unwrap();
    let paths: Vec<(&str, ChangeKind)> =
        changes.iter().map(|c| (c.path.as_str(), c.kind)).collect();
    assert_eq!(
        paths,
        [
            ("main.c", ChangeKind::Modified),
            ("util.c", ChangeKind::Added)
        ]
    );
    assert_eq!(contents(&project), before);
    worktrees.remove(tree.id()).await.unwrap();
    assert!(!tree.path().exists());
    assert!(
        Worktrees::open(&project, project.join("inside"))
            .await
            .is_err(),
        "worktrees inside the project are refused"
    );
}
