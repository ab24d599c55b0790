//! The three GrowthOS agents: qualifier, scheduler and follow-up writer.
//!
//! Each agent has a deterministic heuristic implementation (always
//! available, used when no LLM is configured) and a Gemini implementation
//! that asks for structured JSON, validates it strictly, makes one repair
//! attempt and otherwise falls back to the heuristic. Every call returns an
//! [`AgentRun`] that says who decided, with which input, and why it fell
//! back, so the orchestrator can write the agent log.
//!
//! This crate performs no database or queue I/O and sends no email: it only
//! decides. The orchestrator owns persistence and side effects.

mod agents;
mod context;
mod gemini;
mod heuristic;

pub use agents::Agents;
pub use context::{AgentError, AgentRun, FollowupRequest, LeadContext, SlotRequest};
pub use gemini::GeminiConfig;
pub use heuristic::{FOLLOWUP_RULE_VERSION, QUALIFIER_RULE_VERSION, SCHEDULER_RULE_VERSION};
