//! `growthos-ops log-change`: rows appended, correctly quoted, and not one
//! earlier byte changed.

mod support;

use std::collections::HashMap;
use std::path::PathBuf;
use support::ops;

const EXISTING: &str = "timestamp,file_changed,reason,risk_level\n\
2026-11-27T05:40:00Z,Makefile,\"make run/test/bench/lint/migrate entry points\",LOW\n\
2026-11-27T06:58:00Z,infrastructure/docker-compose.yml,\"dropped the top-level name key, which docker-compose 1.x refuses\",LOW\n";

fn temp_log(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "growthos-ops-{name}-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("modification_log.csv");
    if !content.is_empty() {
        std::fs::write(&log, content).unwrap();
    }
    log
}

/// RFC 4180 records (quoted fields may hold commas, quotes, line breaks).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "text ends mid-record"
    );
    rows
}

async fn log_change(log: &std::path::Path, file: &str, reason: &str, risk: &str) -> (u8, String) {
    let log = log.to_str().unwrap();
    ops(
        &[
            "log-change",
            "--file",
            file,
            "--reason",
            reason,
            "--risk",
            risk,
            "--log",
            log,
        ],
        &HashMap::new(),
    )
    .await
}

#[tokio::test]
async fn rows_with_commas_quotes_and_newlines_round_trip_and_earlier_bytes_stay() {
    let log = temp_log("quoting", EXISTING);
    let reason = "split \"deps\" and \"stack\", per the ops issue;\nsecond line";
    let (code, out) = log_change(&log, "infrastructure/a,b.yml", reason, "medium").await;
    assert_eq!(code, 0, "{out}");
    let (code, _) = log_change(&log, "Makefile", "plain reason", "HIGH").await;
    assert_eq!(code, 0);

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.starts_with(EXISTING), "earlier bytes changed:\n{text}");
    let rows = parse_csv(&text);
    assert_eq!(rows.len(), 5);
    assert_eq!(
        rows[0],
        ["timestamp", "file_changed", "reason", "risk_level"]
    );
    assert_eq!(rows[3][1], "infrastructure/a,b.yml");
    assert_eq!(rows[3][2], reason);
    assert_eq!(rows[3][3], "MEDIUM");
    assert_eq!(rows[4][1..], ["Makefile", "plain reason", "HIGH"]);
    for row in &rows[3..] {
        let at = chrono::DateTime::parse_from_rfc3339(&row[0]).expect("an ISO timestamp");
        assert_eq!(at.offset().local_minus_utc(), 0, "UTC");
        assert!(row[0].ends_with('Z'));
    }
}

#[tokio::test]
async fn a_bad_risk_is_refused_and_the_file_is_untouched() {
    let log = temp_log("risk", EXISTING);
    for risk in ["CRITICAL", "", "lowish"] {
        let (code, out) = log_change(&log, "Makefile", "x", risk).await;
        assert_eq!(code, 2, "{out}");
        assert!(
            out.contains("LOW, MEDIUM or HIGH") || out.contains("needs"),
            "{out}"
        );
    }
    assert_eq!(std::fs::read_to_string(&log).unwrap(), EXISTING);
}

#[tokio::test]
async fn a_last_row_without_its_line_end_is_completed_not_rewritten() {
    let cut = EXISTING.trim_end_matches('\n');
    let log = temp_log("no-newline", cut);
    let (code, out) = log_change(&log, "Dockerfile", "multi-stage", "LOW").await;
    assert_eq!(code, 0, "{out}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.starts_with(cut));
    let rows = parse_csv(&text);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[3][1..], ["Dockerfile", "multi-stage", "LOW"]);
}

#[tokio::test]
async fn a_new_log_starts_with_the_header_and_another_file_is_refused() {
    let log = temp_log("new", "");
    let (code, out) = log_change(&log, "README.md", "first", "LOW").await;
    assert_eq!(code, 0, "{out}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.starts_with("timestamp,file_changed,reason,risk_level\n"));
    assert_eq!(parse_csv(&text).len(), 2);

    let other = temp_log("other", "name,value\na,1\n");
    let (code, out) = log_change(&other, "README.md", "x", "LOW").await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not touching it"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&other).unwrap(),
        "name,value\na,1\n"
    );
}
