//! infrastructure/scripts/check-modlog.sh, the CI step that keeps the
//! modification log append-only, in a scratch git repository.

use std::path::{Path, PathBuf};
use std::process::Command;

const LOG: &str = "system_logs/modification_log.csv";
const ROWS: &str = "timestamp,file_changed,reason,risk_level\n\
2026-11-27T05:40:00Z,Makefile,\"entry points\",LOW\n\
2026-11-27T06:58:00Z,infrastructure/deps.sh,\"ports, overridable\",MEDIUM\n";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infrastructure/scripts/check-modlog.sh")
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        ok.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

/// A repository whose one commit holds ROWS.
fn repo(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "growthos-modlog-{name}-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    std::fs::create_dir_all(dir.join("system_logs")).unwrap();
    std::fs::write(dir.join(LOG), ROWS).unwrap();
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-q", "-m", "base"]);
    dir
}

fn check(dir: &Path, base: &str) -> (bool, String) {
    let out = Command::new("bash")
        .arg(script())
        .arg(base)
        .current_dir(dir)
        .output()
        .expect("bash runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn appended_rows_pass_and_committed_ones_compare_with_their_base() {
    let dir = repo("append");
    let (ok, out) = check(&dir, "HEAD");
    assert!(ok, "{out}");
    std::fs::write(
        dir.join(LOG),
        format!("{ROWS}2026-11-27T09:00:00Z,Dockerfile,\"multi-stage\",LOW\n"),
    )
    .unwrap();
    let (ok, out) = check(&dir, "HEAD");
    assert!(ok, "{out}");
    assert!(out.contains("1 line(s) appended"), "{out}");
    git(&dir, &["commit", "-q", "-am", "append"]);
    let (ok, out) = check(&dir, "HEAD~1");
    assert!(ok, "{out}");
}

#[test]
fn a_changed_past_row_fails() {
    let dir = repo("change");
    std::fs::write(dir.join(LOG), ROWS.replace("MEDIUM", "LOW")).unwrap();
    let (ok, out) = check(&dir, "HEAD");
    assert!(!ok, "{out}");
    assert!(out.contains("a past row was changed or removed"), "{out}");
}

#[test]
fn a_removed_row_or_file_fails() {
    let dir = repo("remove");
    let first_two: String = ROWS.lines().take(2).map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.join(LOG), first_two).unwrap();
    let (ok, out) = check(&dir, "HEAD");
    assert!(!ok, "{out}");
    std::fs::remove_file(dir.join(LOG)).unwrap();
    let (ok, out) = check(&dir, "HEAD");
    assert!(!ok, "{out}");
    assert!(out.contains("was removed"), "{out}");
}

#[test]
fn a_new_branch_without_base_passes() {
    let dir = repo("nobase");
    let (ok, out) = check(&dir, "0000000000000000000000000000000000000000");
    assert!(ok, "{out}");
}
