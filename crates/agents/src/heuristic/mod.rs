//! Deterministic agents: no network, same input gives the same output. They
//! run when no LLM is configured and decide whenever the LLM fails.

mod followup;
mod qualifier;
mod signals;
mod slot_finder;
mod text;

pub use followup::RULE_VERSION as FOLLOWUP_RULE_VERSION;
pub use qualifier::RULE_VERSION as QUALIFIER_RULE_VERSION;
pub use slot_finder::RULE_VERSION as SCHEDULER_RULE_VERSION;

pub(crate) use followup::{Stage, write_followup};
pub(crate) use qualifier::qualify;
pub(crate) use slot_finder::{choose_slot, describe_slot, find_slots};
