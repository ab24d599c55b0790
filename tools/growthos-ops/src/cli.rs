//! The command line: three subcommands and their options, parsed by hand
//! (no argument-parser dependency for a dozen flags).

use crate::log_change::{LogEntry, Risk};
use shared_types::ProductSlug;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub const USAGE: &str = "\
usage: growthos-ops <command> [options]

  check [--gateway-url URL] [--calendar-id ID]...
      Walks the production-readiness checklist against the deployment the
      environment describes (the services' own variables: APP_ENV,
      DATABASE_URL, JWT_SECRET, PUBLIC_URL, STRIPE_*, RESEND_*, EMAIL_FROM,
      GOOGLE_*, CORS_ALLOWED_ORIGINS...). One line per item, ✓ or ✗; exit 1
      when any item fails.
      --gateway-url  probe this base URL instead of PUBLIC_URL (a staging
                     address, a local port); PUBLIC_URL must still be https
      --calendar-id  Google calendar to reach (repeatable; default primary)
      OPS_RESEND_API_KEY, when set, replaces RESEND_API_KEY for the domain
      look-up (a sending-only key cannot list domains).

  stripe-setup [--price PRODUCT=CENTS]... [--currency usd]
      Creates, once, the three products, their monthly prices and the
      webhook endpoint at PUBLIC_URL/api/stripe/webhook (STRIPE_SECRET_KEY,
      STRIPE_API_BASE, PUBLIC_URL), then prints the STRIPE_PRICE_ID_* values.
      Running it again finds everything and creates nothing. PRODUCT is
      booker, leadqualifier, followup or the full slug (saas-booker);
      --price is needed only for a price that does not exist yet.

  log-change --file F --reason R --risk LOW|MEDIUM|HIGH [--log PATH]
      Appends one row (UTC timestamp) to system_logs/modification_log.csv
      (found from the current directory upwards, or PATH). Never rewrites.
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Check(CheckOptions),
    StripeSetup(SetupOptions),
    LogChange(LogEntry),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckOptions {
    pub gateway_url: Option<String>,
    /// Empty: `primary`.
    pub calendar_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupOptions {
    /// Monthly amount in the currency's smallest unit, per product.
    pub prices: BTreeMap<String, i64>,
    pub currency: String,
}

impl Default for SetupOptions {
    fn default() -> Self {
        Self {
            prices: BTreeMap::new(),
            currency: "usd".into(),
        }
    }
}

/// `--name value` and `--name=value`, in order.
fn options(args: &[String]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let Some(flag) = arg.strip_prefix("--") else {
            return Err(format!("unexpected argument `{arg}`"));
        };
        let (name, value) = match flag.split_once('=') {
            Some((n, v)) => (n.to_owned(), v.to_owned()),
            None => {
                let v = it.next().ok_or_else(|| format!("--{flag} needs a value"))?;
                (flag.to_owned(), v.clone())
            }
        };
        out.push((name, value));
    }
    Ok(out)
}

/// `booker`, `saas-booker` -> `saas-booker`.
pub fn product_slug(name: &str) -> Result<ProductSlug, String> {
    let full = if name.starts_with("saas-") {
        name.to_owned()
    } else {
        format!("saas-{name}")
    };
    full.parse::<ProductSlug>()
        .map_err(|_| format!("unknown product `{name}` (booker, leadqualifier, followup)"))
}

pub fn parse(args: &[String]) -> Result<Command, String> {
    let Some((command, rest)) = args.split_first() else {
        return Ok(Command::Help);
    };
    match command.as_str() {
        "help" | "--help" | "-h" => Ok(Command::Help),
        "check" => {
            let mut opts = CheckOptions::default();
            for (name, value) in options(rest)? {
                match name.as_str() {
                    "gateway-url" => opts.gateway_url = Some(value),
                    "calendar-id" => opts.calendar_ids.push(value),
                    _ => return Err(format!("check: unknown option --{name}")),
                }
            }
            Ok(Command::Check(opts))
        }
        "stripe-setup" => {
            let mut opts = SetupOptions::default();
            for (name, value) in options(rest)? {
                match name.as_str() {
                    "price" => {
                        let (product, cents) = value
                            .split_once('=')
                            .ok_or("--price takes PRODUCT=CENTS, e.g. booker=4900")?;
                        let slug = product_slug(product)?;
                        let cents: i64 =
                            cents.parse().ok().filter(|c| *c > 0).ok_or_else(|| {
                                format!("--price {value}: CENTS must be a positive whole number")
                            })?;
                        opts.prices.insert(slug.to_string(), cents);
                    }
                    "currency" => {
                        if value.len() != 3 || !value.chars().all(|c| c.is_ascii_alphabetic()) {
                            return Err(format!(
                                "--currency `{value}` is not an ISO currency code"
                            ));
                        }
                        opts.currency = value.to_ascii_lowercase();
                    }
                    _ => return Err(format!("stripe-setup: unknown option --{name}")),
                }
            }
            Ok(Command::StripeSetup(opts))
        }
        "log-change" => {
            let (mut file, mut reason, mut risk, mut log) = (None, None, None, None);
            for (name, value) in options(rest)? {
                match name.as_str() {
                    "file" => file = Some(value),
                    "reason" => reason = Some(value),
                    "risk" => risk = Some(value.parse::<Risk>()?),
                    "log" => log = Some(PathBuf::from(value)),
                    _ => return Err(format!("log-change: unknown option --{name}")),
                }
            }
            let file = file
                .filter(|f| !f.trim().is_empty())
                .ok_or("log-change needs --file")?;
            let reason = reason
                .filter(|r| !r.trim().is_empty())
                .ok_or("log-change needs --reason")?;
            let risk = risk.ok_or("log-change needs --risk LOW|MEDIUM|HIGH")?;
            Ok(Command::LogChange(LogEntry {
                file,
                reason,
                risk,
                log,
            }))
        }
        other => Err(format!("unknown command `{other}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn check_options_take_both_spellings() {
        let Command::Check(o) = parse(&args(&[
            "check",
            "--gateway-url=http://127.0.0.1:1",
            "--calendar-id",
            "a@b.example",
        ]))
        .unwrap() else {
            panic!("not check")
        };
        assert_eq!(o.gateway_url.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(o.calendar_ids, vec!["a@b.example".to_owned()]);
    }

    #[test]
    fn prices_accept_short_and_full_product_names() {
        let Command::StripeSetup(o) = parse(&args(&[
            "stripe-setup",
            "--price",
            "booker=4900",
            "--price=saas-followup=2900",
        ]))
        .unwrap() else {
            panic!("not stripe-setup")
        };
        assert_eq!(o.prices.get("saas-booker"), Some(&4900));
        assert_eq!(o.prices.get("saas-followup"), Some(&2900));
        assert!(parse(&args(&["stripe-setup", "--price", "nope=1"])).is_err());
        assert!(parse(&args(&["stripe-setup", "--price", "booker=-5"])).is_err());
    }

    #[test]
    fn log_change_refuses_bad_risk_and_missing_fields() {
        assert!(
            parse(&args(&[
                "log-change",
                "--file",
                "a",
                "--reason",
                "b",
                "--risk",
                "CRITICAL"
            ]))
            .is_err()
        );
        assert!(parse(&args(&["log-change", "--file", "a", "--risk", "LOW"])).is_err());
        assert!(
            parse(&args(&[
                "log-change",
                "--file",
                " ",
                "--reason",
                "b",
                "--risk",
                "LOW"
            ]))
            .is_err()
        );
        assert!(
            parse(&args(&[
                "log-change",
                "--file",
                "a",
                "--reason",
                "b",
                "--risk",
                "HIGH"
            ]))
            .is_ok()
        );
        assert!(parse(&args(&["nope"])).is_err());
        assert_eq!(parse(&[]).unwrap(), Command::Help);
    }
}
