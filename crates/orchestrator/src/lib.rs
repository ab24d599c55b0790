//! The workflow engine: the FSM table, lead intake (`accept_lead`), and
//! `Orchestrator::process`, which advances a workflow by one step for one
//! event — row-locked and idempotent under duplicate delivery — running the
//! agent and its action and writing the outcome and the next event in one
//! transaction.

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
