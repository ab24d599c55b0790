//! String-backed enums. Each is stored as text in PostgreSQL (with a CHECK
//! constraint) and travels as snake_case JSON, so `as_str` and `FromStr` are
//! the single mapping used everywhere.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown {kind} `{value}`")]
pub struct ParseEnumError {
    pub kind: &'static str,
    pub value: String,
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseEnumError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(ParseEnumError { kind: $kind, value: other.to_owned() }),
                }
            }
        }
    };
}

string_enum!(
    /// The three products sold on the one backend.
    ProductSlug, "product", {
        Booker => "saas-booker",
        LeadQualifier => "saas-leadqualifier",
        FollowUp => "saas-followup",
    }
);

string_enum!(
    /// Lead status as the customer sees it.
    LeadStatus, "lead status", {
        New => "new",
        Qualified => "qualified",
        Unqualified => "unqualified",
        Contacted => "contacted",
        MeetingScheduled => "meeting_scheduled",
        Converted => "converted",
        Lost => "lost",
    }
);

string_enum!(
    /// States of the workflow finite-state machine.
    WorkflowState, "workflow state", {
        LeadReceived => "lead_received",
        Qualified => "qualified",
        MeetingScheduled => "meeting_scheduled",
        FollowingUp => "following_up",
        Escalated => "escalated",
        Completed => "completed",
        Failed => "failed",
    }
);

impl WorkflowState {
    /// Terminal states never move again.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Escalated | Self::Completed | Self::Failed)
    }
}

string_enum!(
    AgentType, "agent", {
        Qualifier => "qualifier",
        Scheduler => "scheduler",
        Followup => "followup",
    }
);

string_enum!(
    /// Which implementation of an agent made a decision.
    AgentImplementation, "agent implementation", {
        Llm => "llm",
        Heuristic => "heuristic",
    }
);

string_enum!(
    /// What the qualifier recommends doing with a lead.
    NextAction, "next action", {
        ScheduleMeeting => "schedule_meeting",
        Followup => "followup",
        Disqualify => "disqualify",
    }
);

string_enum!(
    EventType, "event type", {
        LeadCreated => "lead_created",
        LeadQualified => "lead_qualified",
        MeetingScheduled => "meeting_scheduled",
        MeetingConfirmed => "meeting_confirmed",
        FollowupDue => "followup_due",
        FollowupSent => "followup_sent",
        NoResponse => "no_response",
        LeadReplied => "lead_replied",
        WorkflowCompleted => "workflow_completed",
        WorkflowEscalated => "workflow_escalated",
        WorkflowFailed => "workflow_failed",
        // Sent by the scheduler about an hour before a confirmed meeting;
        // the worker emails the lead one reminder (no workflow step).
        MeetingReminderDue => "meeting_reminder_due",
    }
);

impl EventType {
    /// Events that ask the worker to advance a workflow. The others are
    /// notifications (webhooks, metrics) and need no FSM step.
    pub fn drives_workflow(self) -> bool {
        matches!(
            self,
            Self::LeadCreated | Self::LeadQualified | Self::FollowupDue | Self::LeadReplied
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_round_trips_through_its_text() {
        for s in WorkflowState::ALL {
            assert_eq!(s.as_str().parse::<WorkflowState>().unwrap(), *s);
        }
        for e in EventType::ALL {
            let json = serde_json::to_string(e).unwrap();
            assert_eq!(json, format!("\"{}\"", e.as_str()));
        }
        assert!("saas-nope".parse::<ProductSlug>().is_err());
    }
}
