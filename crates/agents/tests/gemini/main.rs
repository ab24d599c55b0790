//! The agents against a local fake speaking Gemini's wire format.

mod followup;
mod qualifier;
mod scheduler;
mod support;
