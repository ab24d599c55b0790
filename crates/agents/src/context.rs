//! What agents are given and what they hand back.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use shared_types::{AgentImplementation, BusinessHours, LeadProfile, MeetingSlot, ProductConfig};
use std::sync::Arc;
use uuid::Uuid;

/// The lead an agent works on, with the tenant facts every agent needs.
#[derive(Debug, Clone)]
pub struct LeadContext {
    pub lead_id: Uuid,
    pub tenant_id: Uuid,
    pub profile: LeadProfile,
    pub received_at: DateTime<Utc>,
    pub business_name: String,
}

impl LeadContext {
    /// The lead as agents see it. Only the email's domain is included: the
    /// address itself adds nothing to a decision and should not leave the
    /// system (LLM prompts) or be copied into agent logs.
    pub(crate) fn summary(&self) -> LeadSummary<'_> {
        let p = &self.profile;
        LeadSummary {
            name: &p.name,
            email_domain: p.email.domain(),
            source: &p.source,
            has_phone: p.phone.is_some(),
            metadata: &p.metadata,
            received_at: self.received_at,
            business_name: &self.business_name,
        }
    }

    /// The first word of the lead's name, for greetings.
    pub(crate) fn first_name(&self) -> &str {
        self.profile
            .name
            .split_whitespace()
            .next()
            .unwrap_or("there")
    }

    /// A trimmed, non-empty string from the lead's metadata.
    pub(crate) fn meta_str(&self, key: &str) -> Option<&str> {
        self.profile
            .metadata
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

/// Everything the scheduler needs to find a meeting slot.
#[derive(Debug, Clone)]
pub struct SlotRequest {
    pub tz: chrono_tz::Tz,
    pub business_hours: BusinessHours,
    pub duration_minutes: u32,
    pub now: DateTime<Utc>,
    /// Intervals already taken, in UTC.
    pub busy: Vec<MeetingSlot>,
    pub horizon_days: u32,
}

/// Which follow-up to write.
#[derive(Debug, Clone)]
pub struct FollowupRequest {
    /// 1-based: 1 is the first contact.
    pub attempt: u32,
    pub max_attempts: u32,
    /// Shared with the step that asks (no copy per follow-up).
    pub product: Arc<ProductConfig>,
    /// Who signs the message (a person or the business).
    pub from_name: String,
}

/// The lead as agents see it (see `LeadContext::summary`), borrowed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LeadSummary<'a> {
    name: &'a str,
    email_domain: &'a str,
    source: &'a str,
    has_phone: bool,
    metadata: &'a Map<String, Value>,
    received_at: DateTime<Utc>,
    business_name: &'a str,
}

/// One agent decision plus what the agent log needs to explain it.
#[derive(Debug, Clone)]
pub struct AgentRun<T> {
    pub output: T,
    /// Who actually decided: `Heuristic` also when the LLM failed.
    pub implementation: AgentImplementation,
    /// The configured LLM model, also when it failed and the heuristic decided.
    pub model: Option<String>,
    pub rule_version: &'static str,
    /// What the agent was given, as JSON text (written to the agent log as
    /// it is); never contains secrets.
    pub input: String,
    pub duration_ms: u64,
    /// True when the LLM was configured but the heuristic decided.
    pub fallback: bool,
    /// Why the LLM's answer was not used.
    pub error: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AgentError {
    #[error("no free meeting slot within the booking horizon")]
    NoFreeSlot,
    #[error("invalid slot request: {0}")]
    InvalidSlotRequest(&'static str),
}
