//! Product rules: loads the three `apps/*/product.toml` files (embedded at
//! compile time), validates them, and answers the questions the workflow
//! asks of a product: which agents are allowed, what a score means, when the
//! next follow-up is due.

mod cadence;
mod catalog;
mod objections;

pub use cadence::{add_days, local_to_utc, next_followup_at};
pub use catalog::{Catalog, RulesError, next_action_for, parse_product};
pub use objections::{OBJECTIONS, Objection};
