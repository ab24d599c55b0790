//! The agents' entry point: runs Gemini when configured, the heuristic
//! otherwise or when Gemini fails, and records who decided.

use crate::context::LeadSummary;
use crate::gemini::{self, GeminiClient, GeminiConfig, GeminiError};
use crate::heuristic::{
    self, FOLLOWUP_RULE_VERSION, QUALIFIER_RULE_VERSION, SCHEDULER_RULE_VERSION,
};
use crate::{AgentError, AgentRun, FollowupRequest, LeadContext, SlotRequest};
use chrono::{DateTime, Utc};
use serde::Serialize;
use shared_types::{
    AgentImplementation, FollowupMessage, ProductSlug, Qualification, ScoreThresholds, SlotChoice,
};
use std::sync::Arc;
use std::time::Instant;

/// The three agents. Cheap to clone: the HTTP client is shared.
#[derive(Clone)]
pub struct Agents {
    llm: Option<Arc<GeminiClient>>,
}

impl std::fmt::Debug for Agents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agents")
            .field("model", &self.llm.as_ref().map(|c| c.model()))
            .finish()
    }
}

impl Agents {
    /// Deterministic agents only; no network.
    pub fn heuristic() -> Self {
        Self { llm: None }
    }

    /// Gemini first, heuristic as the fallback.
    ///
    /// # Panics
    /// When the TLS backend cannot be initialised (a broken build, not a
    /// runtime condition), like `reqwest::Client::new`.
    pub fn with_gemini(cfg: GeminiConfig) -> Self {
        let client = GeminiClient::new(cfg).expect("reqwest client with rustls builds");
        Self {
            llm: Some(Arc::new(client)),
        }
    }

    #[tracing::instrument(skip_all, fields(agent = "qualifier", lead.id = %lead.lead_id, tenant.id = %lead.tenant_id))]
    pub async fn qualify(
        &self,
        lead: &LeadContext,
        thresholds: ScoreThresholds,
    ) -> AgentRun<Qualification> {
        let started = Instant::now();
        let input = QualifierInput {
            lead: lead.summary(),
            thresholds,
        };
        let llm = match &self.llm {
            Some(c) => Some((c.model(), gemini::qualify(c, &input, thresholds).await)),
            None => None,
        };
        let fallback = || heuristic::qualify(lead, thresholds);
        finish(
            "qualifier",
            llm,
            fallback,
            QUALIFIER_RULE_VERSION,
            &input,
            started,
        )
    }

    /// Offers up to three free slots and picks one. `Err` only when the
    /// request is invalid or no slot is free within the horizon.
    #[tracing::instrument(skip_all, fields(agent = "scheduler", lead.id = %lead.lead_id, tenant.id = %lead.tenant_id))]
    pub async fn schedule(
        &self,
        lead: &LeadContext,
        req: &SlotRequest,
    ) -> Result<AgentRun<SlotChoice>, AgentError> {
        let started = Instant::now();
        let offered = heuristic::find_slots(req)?;
        let input = SchedulerInput {
            lead: lead.summary(),
            timezone: req.tz.name(),
            duration_minutes: req.duration_minutes,
            now: req.now,
            horizon_days: req.horizon_days,
            busy_count: req.busy.len(),
            offered: offered.iter().map(gemini::slot_id).collect(),
        };
        // Computed before the LLM call so a fallback cannot fail.
        let heuristic_choice = heuristic::choose_slot(offered.clone(), req.tz)?;
        let llm = match &self.llm {
            Some(c) => Some((
                c.model(),
                gemini::choose_slot(c, &input, &offered, req.tz).await,
            )),
            None => None,
        };
        Ok(finish(
            "scheduler",
            llm,
            || heuristic_choice,
            SCHEDULER_RULE_VERSION,
            &input,
            started,
        ))
    }

    #[tracing::instrument(skip_all, fields(agent = "followup", lead.id = %lead.lead_id, tenant.id = %lead.tenant_id, attempt = req.attempt))]
    pub async fn follow_up(
        &self,
        lead: &LeadContext,
        req: &FollowupRequest,
    ) -> AgentRun<FollowupMessage> {
        let started = Instant::now();
        let input = FollowupInput {
            lead: lead.summary(),
            attempt: req.attempt,
            max_attempts: req.max_attempts,
            stage: heuristic::Stage::of(req).as_str(),
            product: req.product.slug,
            goal: &req.product.goal,
            from_name: &req.from_name,
        };
        let llm = match &self.llm {
            Some(c) => Some((c.model(), gemini::write_followup(c, &input).await)),
            None => None,
        };
        let fallback = || heuristic::write_followup(lead, req);
        finish(
            "followup",
            llm,
            fallback,
            FOLLOWUP_RULE_VERSION,
            &input,
            started,
        )
    }
}

/// What the qualifier is given (the LLM's prompt, the agent log's input).
#[derive(Serialize)]
struct QualifierInput<'a> {
    lead: LeadSummary<'a>,
    thresholds: ScoreThresholds,
}

/// What the scheduler is given.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SchedulerInput<'a> {
    lead: LeadSummary<'a>,
    timezone: &'a str,
    duration_minutes: u32,
    now: DateTime<Utc>,
    horizon_days: u32,
    busy_count: usize,
    offered: Vec<String>,
}

/// What the follow-up writer is given.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FollowupInput<'a> {
    lead: LeadSummary<'a>,
    attempt: u32,
    max_attempts: u32,
    stage: &'a str,
    product: ProductSlug,
    goal: &'a str,
    from_name: &'a str,
}

/// Builds the run record: the LLM's output when it succeeded, otherwise
/// the heuristic's, with the reason it was needed.
fn finish<T>(
    agent: &'static str,
    llm: Option<(&str, Result<T, GeminiError>)>,
    heuristic: impl FnOnce() -> T,
    heuristic_version: &'static str,
    input: &impl Serialize,
    started: Instant,
) -> AgentRun<T> {
    let (output, implementation, model, rule_version, fallback, error) = match llm {
        None => (
            heuristic(),
            AgentImplementation::Heuristic,
            None,
            heuristic_version,
            false,
            None,
        ),
        Some((model, Ok(output))) => (
            output,
            AgentImplementation::Llm,
            Some(model.to_owned()),
            gemini::PROMPT_VERSION,
            false,
            None,
        ),
        Some((model, Err(e))) => {
            tracing::warn!(error = %e, model, "gemini failed; the heuristic decides");
            (
                heuristic(),
                AgentImplementation::Heuristic,
                Some(model.to_owned()),
                heuristic_version,
                true,
                Some(e.to_string()),
            )
        }
    };
    let elapsed = started.elapsed();
    shared_types::metrics::observe(
        "growthos_agent_duration_seconds",
        &[
            ("agent", agent),
            ("implementation", implementation.as_str()),
        ],
        elapsed.as_secs_f64(),
    );
    AgentRun {
        output,
        implementation,
        model,
        rule_version,
        // A struct of strings and numbers: serializing it cannot fail.
        input: serde_json::to_string(input).unwrap_or_default(),
        duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        fallback,
        error,
    }
}
