//! Skill discovery on real folders: good skills load with their bundled files, a project skill
//! replaces a user skill of the same name (reported), and each malformed or hostile skill is
//! skipped with a message naming it while the others still load.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use boocode_tools::{SKILL_MAX_BYTES, SecretGuard, load_skills, skill_dirs};
use std::os::unix::fs::symlink;
use std::path::Path;

fn skill(root: &Path, folder: &str, front: &str, body: &str) {
    let dir = root.join(folder);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("SKILL.md"), format!("---\n{front}---\n{body}\n")).unwrap();
}

#[test]
fn good_skills_load_bad_ones_are_skipped_by_name_and_the_project_wins() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let user = home.path().join(".agents/skills");
    let ours = project.path().join(".boocode/skills");

    skill(
        &user,
        "release-notes",
        "name: release-notes\ndescription: Old wording.\n",
        "Old.",
    );
    skill(
        &user,
        "csv-report",
        "name: csv-report\ndescription: Summarise a CSV.\n",
        "Use pandas.",
    );
    skill(
        &ours,
        "release-notes",
        "name: release-notes\ndescription: Write release notes.\nallowed-tools: view_file grep\n",
        "Read CHANGELOG.md.",
    );
    std::fs::create_dir_all(ours.join("release-notes/templates")).unwrap();
    std::fs::write(ours.join("release-notes/templates/notes.md"), "# Notes\n").unwrap();
    std::fs::write(ours.join("release-notes/check.sh"), "true\n").unwrap();

    // The malformed and the hostile.
    skill(&ours, "no-name", "description: x\n", "");
    skill(
        &ours,
        "wrong-folder",
        "name: other-name\ndescription: x\n",
        "",
    );
    skill(
        &ours,
        "wordy",
        &format!("name: wordy\ndescription: {}\n", "d".repeat(2048)),
        "",
    );
    skill(
        outside.path(),
        "escape",
        "name: escape\ndescription: x\n",
        "",
    );
    symlink(outside.path().join("escape"), ours.join("escape")).unwrap();
    std::fs::create_dir_all(ours.join("linked")).unwrap();
    std::fs::write(
        outside.path().join("SKILL.md"),
        "---\nname: linked\ndescription: x\n---\n",
    )
    .unwrap();
    symlink(
        outside.path().join("SKILL.md"),
        ours.join("linked/SKILL.md"),
    )
    .unwrap();
    std::fs::create_dir_all(ours.join("huge")).unwrap();
    let mut big = String::from("---\nname: huge\ndescription: x\n---\n");
    big.push_str(&"y".repeat(10 * 1024 * 1024));
    let huge_len = big.len();
    std::fs::write(ours.join("huge/SKILL.md"), big).unwrap();

    let dirs = skill_dirs(project.path(), None, Some(home.path()));
    let skills = load_skills(&dirs, &SecretGuard::default());

    assert_eq!(
        skills.found.keys().collect::<Vec<_>>(),
        ["csv-report", "release-notes"],
        "{:#?}",
        skills.problems
    );
    let notes = &skills.found["release-notes"];
    assert_eq!(notes.skill.description, "Write release notes.");
    assert_eq!(notes.skill.body, "Read CHANGELOG.md.");
    assert_eq!(notes.files, ["check.sh", "templates/notes.md"]);
    assert!(
        notes
            .dir
            .starts_with(project.path().canonicalize().unwrap())
    );
    let said = skills.problems.join("\n");
    for expected in [
        "skill \"release-notes\" in",
        "no-name/SKILL.md: field `name`: is required",
        "wrong-folder/SKILL.md: field `name`: \"other-name\" must equal its folder's name \"wrong-folder\"",
        "wordy/SKILL.md: field `description`: 2048 characters; at most 1024",
        "escape/SKILL.md: cannot read",
        "linked/SKILL.md: cannot read",
        &format!(
            "huge/SKILL.md: cannot read: {huge_len} bytes; a SKILL.md may have at most {SKILL_MAX_BYTES}"
        ),
    ] {
        assert!(said.contains(expected), "missing {expected:?} in:\n{said}");
    }
    assert_eq!(skills.problems.len(), 7, "{said}");
}

#[test]
fn missing_folders_are_nothing_and_a_secret_named_skill_file_is_refused() {
    let project = tempfile::tempdir().unwrap();
    let skills = load_skills(
        &skill_dirs(project.path(), None, None),
        &SecretGuard::default(),
    );
    assert!(skills.found.is_empty() && skills.problems.is_empty());
    let guard = SecretGuard::new(&["**/SKILL.md"], &[] as &[&str]).unwrap();
    skill(
        &project.path().join(".agents/skills"),
        "a",
        "name: a\ndescription: x\n",
        "",
    );
    let skills = load_skills(&skill_dirs(project.path(), None, None), &guard);
    assert!(skills.found.is_empty());
    assert!(
        skills.problems[0].contains("secret deny list"),
        "{:?}",
        skills.problems
    );
}
