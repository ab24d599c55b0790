//! The workflow engine: the FSM table, lead intake (`accept_lead`), and
//! `Orchestrator::process_batch`, which advances the workflow of each event
//! read together by one step — row-locked and idempotent under duplicate
//! delivery — running the agents and their actions side by side and writing
//! the outcomes and the next events in one transaction.

pub mod auto_reply;
mod clock;
mod closing;
mod context;
pub mod emails;
pub mod fsm;
mod intake;
mod process;
mod relay;
mod reminders;
mod replies;
mod scheduled;
mod steps;
mod unsubscribe;
mod webhooks;

pub use clock::Clock;
pub use closing::{ClosedLead, Closure, close_lead, requeue};
pub use context::{Providers, Settings};
pub use intake::{AcceptedLead, LeadIntake, accept_lead, accept_leads};
pub use process::{Orchestrator, Outcome, ProcessError, action_log};
pub use relay::OutboxRelay;
pub use replies::{InboundReply, RecordedReply, ReplyOutcome, record_reply};
pub use scheduled::{enqueue_new, meeting_reminder_event, once_id, rerun_event};
pub use unsubscribe::UnsubscribeSigner;
