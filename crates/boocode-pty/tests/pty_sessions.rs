//! PTY sessions with a real shell.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use boocode_pty::{PtyOptions, PtySession};
use std::time::Duration;

/// Everything the live stream yields until `done` holds (or 10 s pass).
/// A viewer: what was already printed, as the start of the text, plus the live stream.
fn viewer(session: &PtySession) -> (String, tokio::sync::broadcast::Receiver<bytes::Bytes>) {
    let (scrollback, live) = session.attach();
    (String::from_utf8_lossy(&scrollback).into_owned(), live)
}

async fn read_until(
    rx: &mut tokio::sync::broadcast::Receiver<bytes::Bytes>,
    mut seen: String,
    done: impl Fn(&str) -> bool,
) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done(&seen) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Ok(chunk)) => seen.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(Err(_)) | Err(_) => break,
        }
    }
    seen
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.split_whitespace().nth(2).is_none_or(|state| state != "Z"))
        .unwrap_or(false)
}

#[tokio::test]
async fn output_streams_and_the_exit_code_is_reported() {
    let session = PtySession::spawn(
        PtyOptions::new("bash")
            .arg("-c")
            .arg("echo hello; sleep 0.2; echo world; exit 7"),
    )
    .unwrap();
    let (scrollback, mut live) = session.attach();
    let text = read_until(
        &mut live,
        String::from_utf8_lossy(&scrollback).into_owned(),
        |s| s.contains("world"),
    )
    .await;
    assert!(text.contains("hello\r\n"), "{text:?}");
    assert!(text.contains("world"), "{text:?}");
    let exit = session.wait().await;
    assert_eq!(exit.code, Some(7));
    assert!(!exit.signaled);
}

#[tokio::test]
async fn a_resize_is_visible_to_stty_size() {
    let session = PtySession::spawn(
        PtyOptions::new("bash")
            .arg("-c")
            .arg("stty size; read _; stty size")
            .size(24, 80),
    )
    .unwrap();
    let (seen, mut live) = viewer(&session);
    let first = read_until(&mut live, seen, |s| s.contains("24 80")).await;
    assert!(first.contains("24 80"), "{first:?}");
    session.resize(40, 132).unwrap();
    session.write(b"\r").unwrap();
    let after = read_until(&mut live, String::new(), |s| s.contains("40 132")).await;
    assert!(after.contains("40 132"), "{after:?}");
    assert_eq!(session.wait().await.code, Some(0));
}

#[tokio::test]
async fn a_late_viewer_gets_the_scrollback_then_live_output() {
    let session = PtySession::spawn(
        PtyOptions::new("bash")
            .arg("-c")
            .arg("echo one; echo two; read _; echo three"),
    )
    .unwrap();
    let (seen, mut first) = viewer(&session);
    read_until(&mut first, seen, |s| s.contains("two")).await;
    let (scrollback, mut second) = session.attach();
    let replay = String::from_utf8_lossy(&scrollback).into_owned();
    assert!(replay.contains("one\r\ntwo"), "{replay:?}");
    session.write(b"\r").unwrap();
    let live = read_until(&mut second, String::new(), |s| s.contains("three")).await;
    assert!(
        live.contains("three") && !live.contains("one"),
        "only new output arrives live: {live:?}"
    );
    let both = read_until(&mut first, String::new(), |s| s.contains("three")).await;
    assert!(both.contains("three"), "both viewers see it: {both:?}");
}

#[tokio::test]
async fn the_scrollback_is_bounded() {
    let session = PtySession::spawn(
        PtyOptions::new("bash")
            .arg("-c")
            .arg("for i in $(seq 1 200); do echo line-$i; done; read _")
            .scrollback(100),
    )
    .unwrap();
    let (seen, mut live) = viewer(&session);
    read_until(&mut live, seen, |s| s.contains("line-200")).await;
    let (scrollback, _) = session.attach();
    assert!(scrollback.len() <= 100, "{}", scrollback.len());
    assert!(String::from_utf8_lossy(&scrollback).contains("line-200"));
    let (kept, truncated) = session.scrollback();
    assert_eq!(kept, scrollback);
    assert!(truncated, "earlier lines were dropped");
}

#[tokio::test]
async fn once_the_exit_is_known_the_scrollback_holds_all_the_output() {
    for _ in 0..20 {
        let session = PtySession::spawn(
            PtyOptions::new("sh")
                .arg("-c")
                .arg("echo last-words; exit 3"),
        )
        .unwrap();
        let exit = session.wait().await;
        assert_eq!(exit.code, Some(3));
        let (output, truncated) = session.scrollback();
        assert!(
            String::from_utf8_lossy(&output).contains("last-words"),
            "{output:?}"
        );
        assert!(!truncated);
    }
}

#[tokio::test]
async fn closing_a_session_leaves_no_process_behind() {
    let session = PtySession::spawn(
        PtyOptions::new("bash")
            .arg("-c")
            .arg("sleep 300 & echo child=$!; wait"),
    )
    .unwrap();
    let (seen, mut live) = viewer(&session);
    let text = read_until(&mut live, seen, |s| {
        s.contains("child=") && s.contains('\n')
    })
    .await;
    let child: u32 = text
        .split("child=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let shell = session.pid().unwrap();
    assert!(alive(child) && alive(shell));
    drop(session);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while (alive(child) || alive(shell)) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        !alive(child),
        "the shell's background child {child} outlived the session"
    );
    assert!(!alive(shell), "the shell {shell} outlived the session");
}

#[tokio::test]
async fn a_missing_program_is_a_clear_error() {
    let err = PtySession::spawn(PtyOptions::new("definitely-not-a-program-xyz")).unwrap_err();
    assert!(
        err.to_string().contains("definitely-not-a-program-xyz"),
        "{err}"
    );
}

#[tokio::test]
async fn a_full_screen_program_is_read_as_the_text_it_shows() {
    // The alternate screen, a cleared screen and a line drawn at row 3, column 5, then a line
    // overwritten in place: the raw bytes are escape sequences, the screen is two lines.
    let script = r#"printf '\033[?1049h\033[2J\033[3;5HStatus: busy'; sleep 0.1; printf '\033[3;5HStatus: idle\033[5;1H> type here'; sleep 0.3"#;
    let session = PtySession::spawn(
        PtyOptions::new("bash")
            .arg("-c")
            .arg(script)
            .size(10, 40)
            .track_screen(),
    )
    .unwrap();
    session.wait().await;
    let screen = session.screen().unwrap();
    assert_eq!(screen, "\n\n    Status: idle\n\n> type here", "{screen:?}");
    // A resize keeps what is shown and takes the new size.
    session.resize(6, 20).ok();
    assert!(session.screen().unwrap().contains("Status: idle"));
    // Plain sessions keep no screen.
    let plain = PtySession::spawn(PtyOptions::new("true")).unwrap();
    assert_eq!(plain.screen(), None);
}
