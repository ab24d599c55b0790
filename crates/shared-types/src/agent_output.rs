//! What agents decide. Both implementations (LLM and heuristic) produce these
//! same types, validated on construction.

use crate::NextAction;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Qualification {
    pub score: u8,
    pub reason: String,
    pub next_action: NextAction,
}

/// A bookable interval, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingSlot {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotChoice {
    pub offered: Vec<MeetingSlot>,
    pub chosen: MeetingSlot,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowupMessage {
    pub subject: String,
    pub body: String,
}

/// The last output of an agent, stored on the workflow so the FSM can pick
/// the next transition from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "agent", rename_all = "snake_case")]
pub enum AgentDecision {
    Qualifier(Qualification),
    Scheduler(SlotChoice),
    Followup(FollowupMessage),
}

impl AgentDecision {
    pub fn next_action(&self) -> Option<NextAction> {
        match self {
            AgentDecision::Qualifier(q) => Some(q.next_action),
            _ => None,
        }
    }
}
