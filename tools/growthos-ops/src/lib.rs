#![doc = include_str!("../README.md")]

pub mod check;
pub mod cli;
mod http;
pub mod log_change;
mod report;
pub mod stripe_setup;

pub use report::{Checklist, Item};

use std::collections::HashMap;
use std::io::Write;

/// Exit status: everything passed / was done.
pub const EXIT_OK: u8 = 0;
/// A checklist item failed, or an operation could not be completed.
pub const EXIT_FAILED: u8 = 1;
/// The command line was wrong.
pub const EXIT_USAGE: u8 = 2;

/// Runs one command with `args` (without the program name) and the
/// environment `vars`, writing what it reports to `out`; returns the exit
/// status. Tests call this in-process with their own variables.
pub async fn run(args: &[String], vars: &HashMap<String, String>, out: &mut dyn Write) -> u8 {
    let command = match cli::parse(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(out, "growthos-ops: {e}\n\n{}", cli::USAGE);
            return EXIT_USAGE;
        }
    };
    match command {
        cli::Command::Help => {
            let _ = writeln!(out, "{}", cli::USAGE);
            EXIT_OK
        }
        cli::Command::Check(opts) => {
            let mut list = Checklist::new(out);
            check::run(&opts, vars, &mut list).await;
            list.summary();
            if list.passed() { EXIT_OK } else { EXIT_FAILED }
        }
        cli::Command::StripeSetup(opts) => {
            let mut list = Checklist::new(out);
            stripe_setup::run(&opts, vars, &mut list).await;
            if list.passed() { EXIT_OK } else { EXIT_FAILED }
        }
        cli::Command::LogChange(entry) => match log_change::run(&entry) {
            Ok(row) => {
                let _ = write!(out, "appended: {row}");
                EXIT_OK
            }
            Err(e) => {
                let _ = writeln!(out, "growthos-ops log-change: {e}");
                EXIT_FAILED
            }
        },
    }
}
