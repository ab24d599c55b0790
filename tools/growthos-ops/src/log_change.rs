//! `system_logs/modification_log.csv`: one row appended per infrastructure
//! change (`timestamp,file_changed,reason,risk_level`). The file is opened
//! in append mode only, so earlier bytes can never be rewritten; CI checks
//! the same from the other side (past rows unchanged).

use chrono::{DateTime, Utc};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub const HEADER: &str = "timestamp,file_changed,reason,risk_level";
pub const LOG_PATH: &str = "system_logs/modification_log.csv";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Risk {
    Low,
    Medium,
    High,
}

impl FromStr for Risk {
    type Err = String;

    /// Exactly `LOW`, `MEDIUM` or `HIGH` (any case, written upper case).
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_uppercase().as_str() {
            "LOW" => Ok(Risk::Low),
            "MEDIUM" => Ok(Risk::Medium),
            "HIGH" => Ok(Risk::High),
            _ => Err(format!("--risk must be LOW, MEDIUM or HIGH, not `{s}`")),
        }
    }
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Risk::Low => "LOW",
            Risk::Medium => "MEDIUM",
            Risk::High => "HIGH",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub file: String,
    pub reason: String,
    pub risk: Risk,
    /// The log file; `None`: `system_logs/modification_log.csv` in the
    /// nearest directory (this one or a parent) that has it.
    pub log: Option<PathBuf>,
}

/// RFC 4180: quoted when it holds a comma, a quote or a line break, with
/// quotes doubled.
pub fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// The row for `entry` at `at`. The reason is always quoted, as the rows
/// written by hand before this tool were.
pub fn row(entry: &LogEntry, at: DateTime<Utc>) -> String {
    format!(
        "{},{},\"{}\",{}\n",
        at.format("%Y-%m-%dT%H:%M:%SZ"),
        csv_field(entry.file.trim()),
        entry.reason.trim().replace('"', "\"\""),
        entry.risk
    )
}

/// `system_logs/modification_log.csv` in `start` or its nearest parent.
pub fn find_log(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(LOG_PATH))
        .find(|p| p.is_file())
}

/// Appends `entry`'s row to `log` and returns it. A new or empty file gets
/// the header first; a file whose first line is another header is refused;
/// a last row without its line end gets one first (appended, not rewritten).
pub fn append(log: &Path, entry: &LogEntry, at: DateTime<Utc>) -> io::Result<String> {
    let (first_line, last_byte) = match File::open(log) {
        Ok(mut f) => inspect(&mut f)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => (String::new(), None),
        Err(e) => return Err(e),
    };
    let mut text = String::new();
    match last_byte {
        None => {
            text.push_str(HEADER);
            text.push('\n');
        }
        Some(last) => {
            if first_line.trim_end_matches('\r') != HEADER {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{} does not start with `{HEADER}`: not touching it",
                        log.display()
                    ),
                ));
            }
            if last != b'\n' {
                text.push('\n');
            }
        }
    }
    let row = row(entry, at);
    text.push_str(&row);
    // Append mode: every write lands at the end, whatever else happens to
    // the file; one write call keeps concurrent appends whole.
    let mut file = OpenOptions::new().append(true).create(true).open(log)?;
    file.write_all(text.as_bytes())?;
    file.sync_data()?;
    Ok(row)
}

/// The first line and the last byte (`None` when empty), read only.
fn inspect(f: &mut File) -> io::Result<(String, Option<u8>)> {
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok((String::new(), None));
    }
    let mut head = vec![0u8; len.min(256) as usize];
    f.read_exact(&mut head)?;
    let first = String::from_utf8_lossy(&head)
        .split('\n')
        .next()
        .unwrap_or_default()
        .to_owned();
    f.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    f.read_exact(&mut last)?;
    Ok((first, Some(last[0])))
}

/// `log-change`: the row appended now, in UTC.
pub fn run(entry: &LogEntry) -> Result<String, String> {
    let log = match &entry.log {
        Some(p) => p.clone(),
        None => {
            let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
            find_log(&cwd).ok_or_else(|| {
                format!("no {LOG_PATH} here or in a parent directory (use --log PATH)")
            })?
        }
    };
    append(&log, entry, Utc::now()).map_err(|e| format!("{}: {e}", log.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(
            csv_field("infrastructure/README.md"),
            "infrastructure/README.md"
        );
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn risk_is_one_of_three_words() {
        assert_eq!("low".parse::<Risk>(), Ok(Risk::Low));
        assert_eq!("HIGH".parse::<Risk>(), Ok(Risk::High));
        assert!("critical".parse::<Risk>().is_err());
        assert!("".parse::<Risk>().is_err());
    }
}
