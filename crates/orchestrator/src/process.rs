//! `Orchestrator::process`: one event, one workflow step, one transaction.

use crate::context::{Providers, Settings, StepContext};
use crate::fsm::{self, Facts, Trigger};
use crate::relay::OutboxRelay;
use crate::steps::{self, StepOutput};
use action_layer::ProviderCall;
use diesel_async::AsyncConnection;
use memory::repo::leads::LeadChange;
use memory::repo::steps::StepWrites;
use memory::{
    AgentLog, AsyncPgConnection, DbPool, MemoryError, Message, NewActionLog, Transition, Workflow,
};
use shared_types::{AgentDecision, DomainEvent, EventType, WorkflowEventPayload, WorkflowState};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Advanced {
        to: WorkflowState,
        step: i32,
    },
    /// Nothing to do: a duplicate or stale delivery, a finished workflow,
    /// or a notification event.
    Skipped(&'static str),
    /// A meeting's reminder went out (no workflow step involved).
    ReminderSent,
}

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// Try again later (database or provider hiccup); nothing was committed.
    #[error("transient: {0}")]
    Transient(String),
    /// Retrying cannot help.
    #[error("permanent: {0}")]
    Permanent(String),
}

impl From<MemoryError> for ProcessError {
    fn from(e: MemoryError) -> Self {
        match e {
            MemoryError::NotFound => {
                ProcessError::Permanent("workflow, lead or tenant not found".into())
            }
            other => ProcessError::Transient(other.to_string()),
        }
    }
}

impl From<diesel::result::Error> for ProcessError {
    fn from(e: diesel::result::Error) -> Self {
        MemoryError::from(e).into()
    }
}

#[derive(Clone)]
pub struct Orchestrator {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub pool: DbPool,
    pub relay: OutboxRelay,
    pub providers: Providers,
    pub settings: Settings,
    pub webhook_targets: crate::webhooks::WebhookTargets,
}

impl Orchestrator {
    pub fn new(pool: DbPool, relay: OutboxRelay, providers: Providers, settings: Settings) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool,
                relay,
                providers,
                settings,
                webhook_targets: Default::default(),
            }),
        }
    }

    /// Posts the event to the tenant's webhook, if it has one; see
    /// `webhooks`. Call after `process` succeeded.
    pub async fn deliver_webhook(&self, event: &DomainEvent) -> Result<(), ProcessError> {
        self.inner.deliver_webhook(event).await
    }

    pub fn pool(&self) -> &DbPool {
        &self.inner.pool
    }

    pub fn relay(&self) -> &OutboxRelay {
        &self.inner.relay
    }

    /// The clock every step reads "now" from.
    pub fn clock(&self) -> &crate::Clock {
        &self.inner.settings.clock
    }

    /// Advances the event's workflow by one step, in one transaction. When
    /// that step's next event drives the same workflow again (a qualified
    /// lead is booked or followed up at once), the next step runs in the
    /// same transaction, on the workflow row already locked; if it fails,
    /// only it is dropped (a booking's own rows under a savepoint) and its
    /// event goes to the outbox for the bus to retry. What the steps change
    /// on the lead and the workflow is written once, with their messages,
    /// logs and events, in one round trip (`memory::repo::steps`). Provider
    /// calls are logged whatever happens; the events that leave the
    /// transaction are published right after commit.
    #[tracing::instrument(skip_all, fields(event.id = %event.id, workflow.id, lead.id))]
    pub async fn process(&self, event: &DomainEvent) -> Result<Outcome, ProcessError> {
        if event.event_type == EventType::MeetingReminderDue {
            return self.inner.remind(event).await;
        }
        let Some((trigger, p)) = route(event)? else {
            return Ok(Outcome::Skipped("notification or already handled event"));
        };
        let span = tracing::Span::current();
        span.record("workflow.id", tracing::field::display(p.workflow_id));
        span.record("lead.id", tracing::field::display(p.lead_id));

        let mut conn = self.inner.pool.get().await.map_err(MemoryError::from)?;
        let mut calls = Vec::new();
        let inner = &self.inner;
        let calls_ref = &mut calls;
        let result = conn
            .transaction(async move |conn| {
                let mut ctx = match inner.open(conn, event, p).await? {
                    Ok(ctx) => ctx,
                    Err(skipped) => return Ok((Outcome::Skipped(skipped), Vec::new())),
                };
                let mut done = Done::default();
                let (outcome, mut next) = inner
                    .step(conn, event, p, trigger, calls_ref, &mut ctx, &mut done)
                    .await?;
                // Every emitted event is published, the ones consumed here
                // too (webhooks and metrics want lead_qualified); a worker
                // receiving a consumed one finds its step passed and skips it.
                let mut emitted = Vec::new();
                while let Some(mut n) = next.take_if(|n| n.event_type.drives_workflow()) {
                    let Some((t, np)) = route(&n)? else { break };
                    let continued = inner
                        .step(conn, &n, np, t, calls_ref, &mut ctx, &mut done)
                        .await;
                    match continued {
                        Ok((_, after)) => {
                            next = after;
                            // No worker needs to lock the workflow to find
                            // out that this step has run.
                            n.handled = true;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, event.id = %n.id, "next step deferred to the event bus");
                        }
                    }
                    emitted.push(n);
                }
                emitted.extend(next);
                let logs = action_logs(event.tenant_id, p, calls_ref);
                memory::repo::steps::record(
                    conn,
                    StepWrites {
                        workflow: (!done.transitions.is_empty()).then_some(&ctx.wf),
                        lead: &done.lead,
                        transitions: &done.transitions,
                        agent_logs: &done.agent_logs,
                        messages: &done.messages,
                        events: &emitted,
                        action_logs: &logs,
                    },
                )
                .await?;
                Ok::<_, ProcessError>((outcome, emitted))
            })
            .await;
        // The calls were logged in the transaction; if it did not commit,
        // they happened all the same and are logged now.
        if result.is_err() && !calls.is_empty() {
            let logs = action_logs(event.tenant_id, p, &calls);
            if let Err(e) = memory::repo::logs::insert_action_logs(&mut conn, &logs).await {
                tracing::error!(error = %e, "could not record provider calls");
            }
        }
        drop(conn);
        let (outcome, emitted) = result?;
        if let Err(e) = self.inner.relay.publish_now(&emitted).await {
            tracing::warn!(error = %e, "fast publish failed; the outbox sweep will relay it");
        }
        Ok(outcome)
    }
}

/// What the steps run for one event did, written when the last has run.
#[derive(Default)]
struct Done {
    lead: LeadChange,
    transitions: Vec<Transition>,
    agent_logs: Vec<AgentLog>,
    messages: Vec<Message>,
}

impl Done {
    fn then(&mut self, later: Done) {
        self.lead.then(later.lead);
        self.transitions.extend(later.transitions);
        self.agent_logs.extend(later.agent_logs);
        self.messages.extend(later.messages);
    }
}

/// The trigger and workflow of an event that drives a workflow; `None` for
/// notification events and for events already acted on where they were
/// emitted.
fn route(event: &DomainEvent) -> Result<Option<(Trigger, WorkflowEventPayload)>, ProcessError> {
    let Some(trigger) = Trigger::from_event(event.event_type).filter(|_| !event.handled) else {
        return Ok(None);
    };
    let p = event
        .workflow_payload()
        .ok_or_else(|| ProcessError::Permanent("event carries no workflow".into()))?;
    Ok(Some((trigger, p)))
}

impl Inner {
    /// Locks the event's workflow and loads what its step needs, in one
    /// round trip (the event names the lead and the tenant); the reason to
    /// skip instead when the delivery is stale or the workflow finished.
    async fn open(
        &self,
        conn: &mut AsyncPgConnection,
        event: &DomainEvent,
        p: WorkflowEventPayload,
    ) -> Result<Result<StepContext, &'static str>, ProcessError> {
        let (wf, lead, tenant) =
            memory::repo::steps::lock_with_lead(conn, p.workflow_id, event.tenant_id, p.lead_id)
                .await?;
        if wf.tenant_id != event.tenant_id || wf.lead_id != lead.id {
            return Err(ProcessError::Permanent(
                "event tenant or lead does not own the workflow".into(),
            ));
        }
        if let Some(skipped) = skip_reason(&wf, p)? {
            return Ok(Err(skipped));
        }
        Ok(Ok(StepContext::new(
            wf,
            lead,
            tenant,
            self.settings.clock.now(),
        )?))
    }

    /// Runs one step on the locked workflow in `ctx`, which it leaves as the
    /// step left the workflow and lead; the writes go to `done`. Both change
    /// only once nothing can fail any more, so a failed step leaves them as
    /// they were (the chained step relies on it).
    #[allow(clippy::too_many_arguments)]
    async fn step(
        &self,
        conn: &mut AsyncPgConnection,
        event: &DomainEvent,
        p: WorkflowEventPayload,
        trigger: Trigger,
        calls: &mut Vec<ProviderCall>,
        ctx: &mut StepContext,
        done: &mut Done,
    ) -> Result<(Outcome, Option<DomainEvent>), ProcessError> {
        if let Some(skipped) = skip_reason(&ctx.wf, p)? {
            return Ok((Outcome::Skipped(skipped), None));
        }
        let state: WorkflowState = parse_state(&ctx.wf)?;
        let last: Option<AgentDecision> = ctx
            .wf
            .last_output
            .clone()
            .and_then(|v| serde_json::from_value(v).ok());
        let facts = Facts {
            allowed: ctx.product.agents.clone(),
            next_action: last.as_ref().and_then(AgentDecision::next_action),
            attempts: ctx.wf.followup_attempts.max(0) as u32,
            max_attempts: ctx.product.followup.max_attempts,
        };
        let Some(t) = fsm::select(state, trigger, &facts) else {
            return Ok((Outcome::Skipped("no transition applies"), None));
        };
        let out: StepOutput = if steps::writes_rows(t) {
            conn.transaction(async |c| steps::run(self, c, ctx, t, calls).await)
                .await?
        } else {
            steps::run(self, conn, ctx, t, calls).await?
        };

        let (to, emits) = match &out.failure {
            None => (t.to, t.emits),
            Some(why) => {
                tracing::warn!(reason = %why, "step failed");
                let to = t.on_failure.unwrap_or(WorkflowState::Failed);
                (to, failure_event(to))
            }
        };
        let (to, emits) = out.redirect.unwrap_or((to, emits));
        let status = t
            .lead_status
            .filter(|_| out.failure.is_none() && out.redirect.is_none());
        let mut lead = out.lead;
        lead.then(LeadChange {
            status: status.map(|s| s.as_str().to_owned()),
            acted_at: out.acted_at,
            ..Default::default()
        });
        let (wf, transition) = memory::repo::workflows::advanced(
            &ctx.wf,
            &memory::repo::workflows::StepResult {
                to_state: to.to_string(),
                event: Some(emits.to_string()),
                followup_attempts: out.followup_attempts.unwrap_or(ctx.wf.followup_attempts),
                next_followup_at: out.next_followup_at,
                last_output: out
                    .decision
                    .map(|d| serde_json::to_value(d).expect("decisions serialize"))
                    .or(ctx.wf.last_output.clone()),
                replied_at: match trigger {
                    Trigger::Closed => Some(ctx.now),
                    _ => ctx.wf.replied_at,
                },
            },
        );
        lead.apply(&mut ctx.lead);
        ctx.wf = wf;
        done.then(Done {
            lead,
            transitions: vec![transition],
            agent_logs: out.agent_log.into_iter().collect(),
            messages: out.messages,
        });
        let mut next = DomainEvent::for_workflow(
            emits,
            ctx.tenant.id,
            WorkflowEventPayload {
                workflow_id: ctx.wf.id,
                lead_id: ctx.lead.id,
                step: ctx.wf.step,
            },
        );
        next.traceparent = event.traceparent.clone();
        tracing::info!(from = %state, to = %to, event = %emits, "workflow advanced");
        Ok((
            Outcome::Advanced {
                to,
                step: ctx.wf.step,
            },
            Some(next),
        ))
    }
}

/// Why a delivery for workflow `wf` has nothing to do, if it has not.
fn skip_reason(
    wf: &Workflow,
    p: WorkflowEventPayload,
) -> Result<Option<&'static str>, ProcessError> {
    if wf.step != p.step {
        return Ok(Some("stale or duplicate delivery"));
    }
    Ok(parse_state(wf)?
        .is_terminal()
        .then_some("workflow finished"))
}

fn parse_state(wf: &Workflow) -> Result<WorkflowState, ProcessError> {
    wf.current_state
        .parse()
        .map_err(|e: shared_types::ParseEnumError| ProcessError::Permanent(e.to_string()))
}

/// The event a failure emits. A failed booking falls back to following up,
/// so it asks for the first follow-up at once.
fn failure_event(to: WorkflowState) -> EventType {
    match to {
        WorkflowState::FollowingUp => EventType::FollowupDue,
        WorkflowState::Escalated => EventType::WorkflowEscalated,
        _ => EventType::WorkflowFailed,
    }
}

fn action_logs(
    tenant_id: Uuid,
    p: WorkflowEventPayload,
    calls: &[ProviderCall],
) -> Vec<NewActionLog> {
    calls
        .iter()
        .map(|c| action_log(tenant_id, Some(p.workflow_id), Some(p.lead_id), c))
        .collect()
}

/// The action_logs row of one provider call.
pub fn action_log(
    tenant_id: Uuid,
    workflow_id: Option<Uuid>,
    lead_id: Option<Uuid>,
    c: &ProviderCall,
) -> NewActionLog {
    NewActionLog {
        id: Uuid::new_v4(),
        tenant_id,
        workflow_id,
        lead_id,
        action_type: c.action_type.to_owned(),
        provider: c.provider.to_owned(),
        idempotency_key: c.idempotency_key.clone(),
        request: c.request.clone(),
        response: c.response.clone(),
        status_code: c.status_code.map(i32::from),
        success: c.success,
        error: c.error.clone(),
        duration_ms: c.duration_ms.min(i32::MAX as u64) as i32,
    }
}
