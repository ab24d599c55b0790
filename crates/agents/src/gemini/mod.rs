//! Gemini implementations of the agents: structured JSON output, strict
//! validation, one repair attempt. Callers fall back to the heuristics on
//! any error returned from here.

mod client;
mod followup;
mod qualifier;
mod scheduler;
mod structured;

use secrecy::SecretString;
use std::time::Duration;

pub(crate) use client::{GeminiClient, GeminiError};
pub(crate) use followup::write_followup;
pub(crate) use qualifier::qualify;
pub(crate) use scheduler::{choose_slot, slot_id};

/// Version of the prompts and schemas below; recorded in the agent log.
pub(crate) const PROMPT_VERSION: &str = "gemini-prompt/1";

/// How to reach Gemini. `Debug` is safe to print: the key is redacted.
#[derive(Debug, Clone)]
pub struct GeminiConfig {
    pub api_key: SecretString,
    /// For example `gemini-2.5-flash`; model names change, so this is config.
    pub model: String,
    /// Scheme and host, e.g. [`GeminiConfig::DEFAULT_API_BASE`] or a test fake.
    pub api_base: String,
    /// Per HTTP attempt, connecting through reading the whole body.
    pub timeout: Duration,
    /// Retries after the first attempt on 429, 500, 503, 504 and timeouts.
    pub max_retries: u32,
}

impl GeminiConfig {
    pub const DEFAULT_API_BASE: &'static str = "https://generativelanguage.googleapis.com";

    /// Production defaults: Google's endpoint, 20 s per attempt, 2 retries.
    pub fn new(api_key: SecretString, model: impl Into<String>) -> Self {
        Self {
            api_key,
            model: model.into(),
            api_base: Self::DEFAULT_API_BASE.to_owned(),
            timeout: Duration::from_secs(20),
            max_retries: 2,
        }
    }
}
