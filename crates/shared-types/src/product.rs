//! Product configuration types (the shape of `apps/<slug>/product.toml`).
//! Loading and validation live in `rules-engine`.

use crate::{AgentType, EventType, ProductSlug};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductConfig {
    pub name: String,
    pub slug: ProductSlug,
    pub agents: Vec<AgentType>,
    pub workflow_type: String,
    pub goal: String,
    pub monetization_event: EventType,
    /// Name of the environment variable that holds the Stripe price id.
    pub stripe_price_env: String,
    pub thresholds: ScoreThresholds,
    pub followup: FollowupCadence,
    pub marketing: Marketing,
}

impl ProductConfig {
    pub fn allows(&self, agent: AgentType) -> bool {
        self.agents.contains(&agent)
    }
}

/// Score >= `hot` recommends a meeting, >= `warm` a follow-up, below that
/// the lead is disqualified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreThresholds {
    pub hot: u8,
    pub warm: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowupCadence {
    /// Days after the previous attempt (the first counted from the lead's
    /// arrival) at which each follow-up after the first is due.
    pub cadence_days: Vec<u32>,
    pub max_attempts: u32,
    pub business_days_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Marketing {
    pub headline: String,
    pub pain: String,
    pub promise: String,
}
