//! Reads variables and collects problems instead of stopping at the first.

use super::{Config, ConfigErrors, DEV_JWT_SECRET, PaymentMode, StripeSettings};
use secrecy::SecretString;
use std::collections::HashMap;
use std::ops::RangeInclusive;

pub(super) struct Reader<'a> {
    vars: &'a HashMap<String, String>,
    problems: Vec<String>,
    warnings: Vec<String>,
}

impl<'a> Reader<'a> {
    pub fn new(vars: &'a HashMap<String, String>) -> Self {
        Self {
            vars,
            problems: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub fn problem(&mut self, p: String) {
        self.problems.push(p);
    }

    pub fn warn(&mut self, w: String) {
        self.warnings.push(w);
    }

    pub fn finish(self, mut config: Config) -> Result<Config, ConfigErrors> {
        if self.problems.is_empty() {
            config.warnings = self.warnings;
            Ok(config)
        } else {
            Err(ConfigErrors(self.problems))
        }
    }

    /// A set, non-blank variable, trimmed.
    pub fn text(&self, key: &str) -> Option<String> {
        self.vars
            .get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub fn secret(&self, key: &str) -> Option<SecretString> {
        self.text(key).map(SecretString::from)
    }

    pub fn number(&mut self, key: &str, default: usize, range: RangeInclusive<usize>) -> usize {
        match self.text(key) {
            None => default,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if range.contains(&n) => n,
                _ => {
                    self.problem(format!(
                        "{key} must be a whole number from {} to {}, not `{v}`",
                        range.start(),
                        range.end()
                    ));
                    default
                }
            },
        }
    }

    pub fn base_url(&mut self, key: &str, default: &str) -> String {
        match self.text(key) {
            None => default.to_owned(),
            Some(v) => {
                if !matches!(
                    url::Url::parse(&v)
                        .map(|u| u.scheme().to_owned())
                        .as_deref(),
                    Ok("http" | "https")
                ) {
                    self.problem(format!("{key} must be an http(s) URL"));
                }
                v.trim_end_matches('/').to_owned()
            }
        }
    }

    /// A connection URL: required in production, defaulted otherwise. The
    /// value is never echoed (it may carry a password).
    pub fn url_secret(
        &mut self,
        key: &str,
        default: &str,
        required: bool,
        schemes: &[&str],
    ) -> SecretString {
        match self.text(key) {
            None if required => {
                self.problem(format!("{key} is required in production"));
                SecretString::from(default)
            }
            None => SecretString::from(default),
            Some(v) => {
                match url::Url::parse(&v) {
                    Ok(u) if schemes.contains(&u.scheme()) => {}
                    _ => self.problem(format!("{key} must be a {} URL", schemes.join(" or "))),
                }
                SecretString::from(v)
            }
        }
    }

    /// `signs_tokens`: only the gateway warns about the development secret.
    /// Every service needs the same secret in production: the worker signs
    /// the unsubscribe links the gateway checks.
    pub fn jwt_secret(&mut self, prod: bool, signs_tokens: bool) -> SecretString {
        match self.text("JWT_SECRET") {
            None if prod => {
                self.problem("JWT_SECRET is required in production (at least 32 bytes)".into());
                SecretString::from(DEV_JWT_SECRET)
            }
            None => {
                if signs_tokens {
                    self.warn("JWT_SECRET is not set: using the development secret".into());
                }
                SecretString::from(DEV_JWT_SECRET)
            }
            Some(v) => {
                if v.len() < 32 {
                    self.problem("JWT_SECRET must be at least 32 bytes".into());
                }
                if prod && v == DEV_JWT_SECRET {
                    self.problem(
                        "JWT_SECRET must not be the development value in production".into(),
                    );
                }
                SecretString::from(v)
            }
        }
    }

    pub fn public_url(&mut self, prod: bool) -> String {
        let v = self
            .text("PUBLIC_URL")
            .unwrap_or_else(|| "http://localhost:8080".into());
        match url::Url::parse(&v) {
            Ok(u) if u.scheme() == "https" => {}
            Ok(u) if u.scheme() == "http" && !prod => {}
            _ if prod => {
                self.problem("PUBLIC_URL must be the https URL of the gateway in production".into())
            }
            _ => self.problem("PUBLIC_URL must be an http(s) URL".into()),
        }
        v.trim_end_matches('/').to_owned()
    }

    pub fn cors(&mut self, prod: bool) -> Option<Vec<String>> {
        let Some(v) = self.text("CORS_ALLOWED_ORIGINS") else {
            if prod {
                self.problem(
                    "CORS_ALLOWED_ORIGINS is required in production (the product app origins)"
                        .into(),
                );
            }
            return None;
        };
        let origins: Vec<String> = v
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        for o in &origins {
            if o == "*" {
                if prod {
                    self.problem("CORS_ALLOWED_ORIGINS must not contain * in production".into());
                }
            } else if !matches!(
                url::Url::parse(o).map(|u| u.scheme().to_owned()).as_deref(),
                Ok("http" | "https")
            ) {
                self.problem(format!(
                    "CORS_ALLOWED_ORIGINS: `{o}` is not an http(s) origin"
                ));
            }
        }
        if origins.iter().any(|o| o == "*") {
            None
        } else {
            Some(origins)
        }
    }

    pub fn admin_secret(&mut self, prod: bool, mode: PaymentMode) -> Option<SecretString> {
        match self.text("ADMIN_SECRET") {
            Some(v) if v.len() < 32 => {
                self.problem("ADMIN_SECRET must be at least 32 bytes".into());
                None
            }
            Some(v) => Some(SecretString::from(v)),
            None if prod && mode == PaymentMode::Manual => {
                self.problem("ADMIN_SECRET is required in production with PAYMENT_MODE=manual (tenant activation)".into());
                None
            }
            None => None,
        }
    }

    pub fn stripe(&mut self, prod: bool, mode: PaymentMode) -> Option<StripeSettings> {
        let key = self.text("STRIPE_SECRET_KEY");
        let webhook = self.text("STRIPE_WEBHOOK_SECRET");
        let prices = [
            "STRIPE_PRICE_ID_BOOKER",
            "STRIPE_PRICE_ID_LEADQUALIFIER",
            "STRIPE_PRICE_ID_FOLLOWUP",
        ]
        .map(|k| (k, self.text(k)));
        let required = prod && mode == PaymentMode::Stripe;
        if required {
            for (k, v) in [
                ("STRIPE_SECRET_KEY", &key),
                ("STRIPE_WEBHOOK_SECRET", &webhook),
            ] {
                if v.is_none() {
                    self.problem(format!(
                        "{k} is required in production with PAYMENT_MODE=stripe"
                    ));
                }
            }
            for (k, v) in &prices {
                if v.is_none() {
                    self.problem(format!(
                        "{k} is required in production with PAYMENT_MODE=stripe"
                    ));
                }
            }
        }
        if let Some(k) = &key {
            if !(k.starts_with("sk_") || k.starts_with("rk_")) {
                self.problem(
                    "STRIPE_SECRET_KEY must be a secret key (sk_live_... or sk_test_...)".into(),
                );
            } else if prod && k.starts_with("sk_test_") {
                self.warn("STRIPE_SECRET_KEY is a test key (sk_test_) in production".into());
            }
        }
        if let Some(w) = &webhook
            && !w.starts_with("whsec_")
        {
            self.problem("STRIPE_WEBHOOK_SECRET must start with whsec_".into());
        }
        let api_base = self.base_url("STRIPE_API_BASE", "https://api.stripe.com");
        let [(_, booker), (_, leadq), (_, followup)] = prices;
        Some(StripeSettings {
            secret_key: SecretString::from(key?),
            webhook_secret: SecretString::from(webhook?),
            price_booker: booker?,
            price_leadqualifier: leadq?,
            price_followup: followup?,
            api_base,
        })
    }

    pub fn email_from(&mut self, prod: bool) -> String {
        match self.text("EMAIL_FROM") {
            None if prod => {
                self.problem(
                    "EMAIL_FROM is required in production (an address on the verified domain)"
                        .into(),
                );
                String::new()
            }
            None => "GrowthOS <onboarding@resend.dev>".into(),
            Some(v) => {
                let addr = v
                    .rsplit_once('<')
                    .map_or(v.as_str(), |(_, a)| a.trim_end_matches('>'));
                if shared_types::LeadEmail::parse(addr).is_err() {
                    self.problem("EMAIL_FROM must be `Name <address@domain>` or an address".into());
                }
                v
            }
        }
    }

    pub fn check_google_credentials(&mut self, json: &str) {
        let ok = serde_json::from_str::<serde_json::Value>(json).is_ok_and(|v| {
            v.get("client_email").and_then(|e| e.as_str()).is_some()
                && v.get("private_key").and_then(|e| e.as_str()).is_some()
        });
        if !ok {
            self.problem("GOOGLE_CALENDAR_CREDENTIALS must be a service-account key JSON with client_email and private_key".into());
        }
    }

    pub fn cron(&mut self, key: &str, default: &str) -> String {
        let v = self.text(key).unwrap_or_else(|| default.to_owned());
        if v.parse::<cron::Schedule>().is_err() {
            self.problem(format!(
                "{key} must be a cron expression with seconds first (e.g. \"0 */5 * * * *\"), not `{v}`"
            ));
        }
        v
    }
}
