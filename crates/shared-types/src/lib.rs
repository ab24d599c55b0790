//! Plain domain types shared by every GrowthOS crate: ids, enums of the
//! workflow state machine, the event envelope, agent outputs and the product
//! configuration. No I/O lives here, so every other crate can depend on it.

mod agent_output;
mod business_hours;
mod enums;
mod event;
mod lead;
pub mod metrics;
mod product;

pub use agent_output::{AgentDecision, FollowupMessage, MeetingSlot, Qualification, SlotChoice};
pub use business_hours::BusinessHours;
pub use enums::{
    AgentImplementation, AgentType, EventType, LeadStatus, NextAction, ParseEnumError, ProductSlug,
    WorkflowState,
};
pub use event::{DomainEvent, MeetingEventPayload, WorkflowEventPayload};
pub use lead::{LeadEmail, LeadInput, LeadProfile, Score, ValidationErrors};
pub use product::{FollowupCadence, Marketing, ProductConfig, ScoreThresholds};
