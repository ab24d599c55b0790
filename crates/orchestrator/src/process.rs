//! `Orchestrator::process_batch`: events read together, one workflow step
//! each (and the steps those lead straight to), one transaction.

use crate::context::{Providers, Settings, StepContext};
use crate::fsm::{self, Facts, Trigger};
use crate::relay::OutboxRelay;
use crate::steps::{self, StepOutput};
use action_layer::ProviderCall;
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use memory::repo::leads::{LeadChange, LeadUpdate};
use memory::repo::steps::{Opened, StepWrites};
use memory::{
    AgentLog, DbPool, JsonText, Lead, MemoryError, Message, NewActionLog, Tenant, Transition,
    Workflow,
};
use serde::Deserialize;
use shared_types::{AgentDecision, DomainEvent, EventType, WorkflowEventPayload, WorkflowState};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tracing::Instrument;
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

    /// Advances one event's workflow: `process_batch` of one.
    pub async fn process(&self, event: &DomainEvent) -> Result<Outcome, ProcessError> {
        self.process_batch(std::slice::from_ref(event))
            .await
            .pop()
            .expect("one result per event")
    }

    /// Advances the workflow of each event by one step, all in one
    /// transaction: the workflows are locked and their leads read in one
    /// round trip, the steps run side by side (their agent and provider
    /// calls overlap), and what they wrote goes to PostgreSQL in one more.
    /// When a step's next event drives the same workflow again (a qualified
    /// lead is booked or followed up at once), the next step runs in the
    /// same transaction on the workflow already locked; if it fails, only it
    /// is dropped (a booking's rows under a savepoint) and its event goes to
    /// the outbox for the bus to retry. A step's failure fails its event
    /// only. Should the batch not commit, its events run again one by one,
    /// so one bad event cannot hold the others back (provider calls are
    /// idempotent by key: the second run's email is the same email).
    /// Provider calls are logged whatever happens; the events that leave the
    /// transaction are published right after commit. One result per event,
    /// in order.
    #[tracing::instrument(skip_all, fields(events = events.len()))]
    pub async fn process_batch(
        &self,
        events: &[DomainEvent],
    ) -> Vec<Result<Outcome, ProcessError>> {
        let mut results: Vec<Option<Result<Outcome, ProcessError>>> =
            events.iter().map(|_| None).collect();
        let (mut together, mut alone) = (Vec::new(), Vec::new());
        let mut workflows = HashSet::new();
        for (index, event) in events.iter().enumerate() {
            if event.event_type == EventType::MeetingReminderDue {
                results[index] = Some(self.inner.remind(event).await);
                continue;
            }
            match route(event) {
                Ok(Some((_, p))) => {
                    let item = Item { index, event, p };
                    // A second event for one workflow waits for the first
                    // to commit: it would wait for the row lock anyway.
                    if workflows.insert(p.workflow_id) {
                        together.push(item);
                    } else {
                        alone.push(item);
                    }
                }
                Ok(None) => {
                    results[index] = Some(Ok(Outcome::Skipped(
                        "notification or already handled event",
                    )))
                }
                Err(e) => results[index] = Some(Err(e)),
            }
        }
        if !together.is_empty() {
            match self.inner.run(&together).await {
                Ok(outcomes) => {
                    for (item, outcome) in together.iter().zip(outcomes) {
                        results[item.index] = Some(outcome);
                    }
                }
                Err(e) if together.len() == 1 => results[together[0].index] = Some(Err(e)),
                Err(e) => {
                    tracing::warn!(error = %e, count = together.len(), "batch did not commit; its events run one by one");
                    alone.splice(0..0, together);
                }
            }
        }
        for item in &alone {
            let outcome = self.inner.run(std::slice::from_ref(item)).await;
            results[item.index] = Some(
                outcome
                    .map(|mut o| o.pop().expect("one result per event"))
                    .and_then(|o| o),
            );
        }
        results
            .into_iter()
            .map(|r| r.expect("every event has a result"))
            .collect()
    }
}

/// An event that drives a workflow, at `index` in its batch.
struct Item<'e> {
    index: usize,
    event: &'e DomainEvent,
    p: WorkflowEventPayload,
}

/// What the steps run for one event did, written when the last has run.
#[derive(Default)]
struct Done {
    lead: LeadChange,
    transitions: Vec<Transition>,
    agent_logs: Vec<AgentLog>,
    messages: Vec<Message>,
}

/// One event's workflow as its steps advance it within a batch.
struct Run {
    /// Where the outcome goes among the batch's results.
    slot: usize,
    ctx: StepContext,
    done: Done,
    calls: Vec<ProviderCall>,
    /// The event the next step runs for; `None` once the chain has ended.
    pending: Option<DomainEvent>,
    /// Whether `pending` was emitted by a step here (its failure defers it
    /// to the bus) rather than given to the batch (its failure fails it).
    chained: bool,
    /// The transition `pending` takes this round.
    planned: Option<&'static fsm::Transition>,
    /// Events for the outbox, consumed here (marked handled) or not.
    emitted: Vec<DomainEvent>,
    outcome: Option<Result<Outcome, ProcessError>>,
    span: tracing::Span,
}

impl Run {
    fn new(slot: usize, ctx: StepContext, event: &DomainEvent) -> Self {
        let span = tracing::info_span!(
            "workflow_step",
            event.id = %event.id,
            workflow.id = %ctx.wf.id,
            lead.id = %ctx.lead.id,
        );
        // Batched with others, the step still belongs to its event's trace.
        event_bus::set_parent_from(&span, event.traceparent.as_deref());
        Self {
            slot,
            ctx,
            done: Done::default(),
            calls: Vec::new(),
            pending: Some(event.clone()),
            chained: false,
            planned: None,
            emitted: Vec::new(),
            outcome: None,
            span,
        }
    }

    /// The action_logs rows of the provider calls made for this run, which
    /// leave the run.
    fn take_action_logs(&mut self) -> impl Iterator<Item = NewActionLog> + '_ {
        let (tenant, workflow, lead) = (self.ctx.tenant.id, self.ctx.wf.id, self.ctx.lead.id);
        self.calls
            .drain(..)
            .map(move |c| action_log(tenant, Some(workflow), Some(lead), c))
    }

    /// Picks the transition the pending event takes; returns whether there
    /// is one, else ends the chain.
    fn plan(&mut self) -> bool {
        let Some(event) = &self.pending else {
            return false;
        };
        let planned = route(event).and_then(|r| {
            let (trigger, p) =
                r.ok_or_else(|| ProcessError::Permanent("event drives no workflow".into()))?;
            select(&self.ctx, p, trigger)
        });
        match planned {
            Ok(Ok(t)) => {
                self.planned = Some(t);
                true
            }
            Ok(Err(skipped)) => {
                self.end(Ok(Outcome::Skipped(skipped)));
                false
            }
            Err(e) => {
                self.end(Err(e));
                false
            }
        }
    }

    /// Ends the chain at the pending event: its outcome if it is the
    /// batch's, else it goes to the outbox, handled if its step found
    /// nothing to do, for the bus to retry if the step failed.
    fn end(&mut self, outcome: Result<Outcome, ProcessError>) {
        let Some(mut event) = self.pending.take() else {
            return;
        };
        if !self.chained {
            self.outcome = Some(outcome);
            return;
        }
        match outcome {
            Ok(_) => event.handled = true,
            Err(e) => {
                let _in = self.span.enter();
                tracing::warn!(error = %e, event.id = %event.id, "next step deferred to the event bus");
            }
        }
        self.emitted.push(event);
    }

    /// Turns the output of transition `t`'s step into the state change; the
    /// context and the writes change only here, once nothing can fail, so a
    /// failed step leaves them as they were.
    fn settle(&mut self, t: &'static fsm::Transition, out: Result<StepOutput, ProcessError>) {
        let out = match out {
            Ok(out) => out,
            Err(e) => return self.end(Err(e)),
        };
        let _in = self.span.clone().entered();
        let ctx = &mut self.ctx;
        let event = self.pending.as_ref().expect("a planned step has its event");
        let from = ctx.wf.current_state.clone();
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
        let last_output = match out.decision {
            Some(d) => Some(serde_json::to_value(d).expect("decisions serialize")),
            None => ctx.wf.last_output.take(),
        };
        let result = memory::repo::workflows::StepResult {
            to_state: to.to_string(),
            event: Some(emits.to_string()),
            followup_attempts: out.followup_attempts.unwrap_or(ctx.wf.followup_attempts),
            next_followup_at: out.next_followup_at,
            last_output,
            // The transition was selected for the event's trigger.
            replied_at: match t.trigger {
                Trigger::Closed => Some(ctx.now),
                _ => ctx.wf.replied_at,
            },
        };
        let transition = memory::repo::workflows::advanced(&mut ctx.wf, result);
        lead.apply(&mut ctx.lead);
        self.done.lead.then(lead);
        self.done.transitions.push(transition);
        self.done.agent_logs.extend(out.agent_log);
        self.done.messages.extend(out.messages);
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
        tracing::info!(from = %from, to = %to, event = %emits, "workflow advanced");
        let advanced = Outcome::Advanced {
            to,
            step: ctx.wf.step,
        };
        // Every emitted event is published, the ones consumed here too
        // (webhooks and metrics want lead_qualified); a worker receiving a
        // consumed one finds its step passed and skips it.
        self.end(Ok(advanced));
        if next.event_type.drives_workflow() {
            self.pending = Some(next);
            self.chained = true;
        } else {
            self.emitted.push(next);
        }
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

/// The transition an event takes from the workflow in `ctx`, or the reason
/// it has nothing to do.
fn select(
    ctx: &StepContext,
    p: WorkflowEventPayload,
    trigger: Trigger,
) -> Result<Result<&'static fsm::Transition, &'static str>, ProcessError> {
    if let Some(skipped) = skip_reason(&ctx.wf, p)? {
        return Ok(Err(skipped));
    }
    let last = ctx
        .wf
        .last_output
        .as_ref()
        .and_then(|v| AgentDecision::deserialize(v).ok());
    let facts = Facts {
        allowed: ctx.product.agents.clone(),
        next_action: last.as_ref().and_then(AgentDecision::next_action),
        attempts: ctx.wf.followup_attempts.max(0) as u32,
        max_attempts: ctx.product.followup.max_attempts,
    };
    Ok(fsm::select(parse_state(&ctx.wf)?, trigger, &facts).ok_or("no transition applies"))
}

impl Inner {
    /// Runs the steps of `items` (distinct workflows) in one transaction;
    /// one outcome per item. `Err` when the transaction did not commit.
    async fn run(
        &self,
        items: &[Item<'_>],
    ) -> Result<Vec<Result<Outcome, ProcessError>>, ProcessError> {
        let mut conn = self.pool.get().await.map_err(MemoryError::from)?;
        let mut runs: Vec<Run> = Vec::with_capacity(items.len());
        let mut logs: Vec<NewActionLog> = Vec::new();
        let (runs_ref, logs_ref) = (&mut runs, &mut logs);
        let result = conn
            .transaction(async move |conn| {
                let workflow_ids: Vec<Uuid> = items.iter().map(|i| i.p.workflow_id).collect();
                let lead_ids: Vec<Uuid> = items.iter().map(|i| i.p.lead_id).collect();
                let mut tenant_ids: Vec<Uuid> = items.iter().map(|i| i.event.tenant_id).collect();
                tenant_ids.sort_unstable();
                tenant_ids.dedup();
                let opened =
                    memory::repo::steps::open(conn, &workflow_ids, &lead_ids, &tenant_ids).await?;
                let mut outcomes = self.open(items, opened, runs_ref);
                while runs_ref.iter_mut().fold(false, |any, r| r.plan() | any) {
                    // Steps that only return their writes run side by side.
                    futures::future::join_all(runs_ref.iter_mut().filter_map(|r| {
                        let t = r.planned.take_if(|t| !steps::needs_database(t))?;
                        let span = r.span.clone();
                        Some(
                            async move {
                                let out = steps::run(self, &r.ctx, t, &mut r.calls).await;
                                r.settle(t, out);
                            }
                            .instrument(span),
                        )
                    }))
                    .await;
                    // Those that work in the database take turns, under a
                    // savepoint each, in tenant order: a booking locks its
                    // tenant's calendar, and one order cannot deadlock.
                    let mut turns: Vec<&mut Run> = runs_ref
                        .iter_mut()
                        .filter(|r| r.planned.is_some())
                        .collect();
                    turns.sort_by_key(|r| r.ctx.tenant.id);
                    for r in turns {
                        let t = r.planned.take().expect("filtered on a planned step");
                        let (ctx, calls) = (&r.ctx, &mut r.calls);
                        let out = conn
                            .transaction(async |c| {
                                steps::run_with_database(self, c, ctx, t, calls).await
                            })
                            .instrument(r.span.clone())
                            .await;
                        r.settle(t, out);
                    }
                }
                let mut done = Done::default();
                let mut emitted = Vec::new();
                let mut stepped = Vec::new();
                for (k, r) in runs_ref.iter_mut().enumerate() {
                    if !r.done.transitions.is_empty() {
                        stepped.push(k);
                    }
                    done.transitions.append(&mut r.done.transitions);
                    done.agent_logs.append(&mut r.done.agent_logs);
                    done.messages.append(&mut r.done.messages);
                    emitted.append(&mut r.emitted);
                    logs_ref.extend(r.take_action_logs());
                    outcomes[r.slot] = r.outcome.take();
                }
                let advanced: Vec<&Workflow> =
                    stepped.iter().map(|&k| &runs_ref[k].ctx.wf).collect();
                let leads: Vec<LeadUpdate> = runs_ref
                    .iter()
                    .map(|r| LeadUpdate {
                        tenant_id: r.ctx.tenant.id,
                        id: r.ctx.lead.id,
                        change: &r.done.lead,
                    })
                    .collect();
                memory::repo::steps::record(
                    conn,
                    StepWrites {
                        workflows: &advanced,
                        leads: &leads,
                        transitions: &done.transitions,
                        agent_logs: &done.agent_logs,
                        messages: &done.messages,
                        events: &emitted,
                        action_logs: logs_ref,
                    },
                )
                .await?;
                Ok::<_, ProcessError>((outcomes, emitted))
            })
            .await;
        // The calls were logged in the transaction; if it did not commit,
        // they happened all the same and are logged now.
        if result.is_err() {
            logs.extend(runs.iter_mut().flat_map(Run::take_action_logs));
            // Returns at once when there is nothing to log.
            if let Err(e) = memory::repo::logs::insert_action_logs(&mut conn, &logs).await {
                tracing::error!(error = %e, "could not record provider calls");
            }
        }
        drop(conn);
        let (outcomes, emitted) = result?;
        if let Err(e) = self.relay.publish_now(&emitted).await {
            tracing::warn!(error = %e, "fast publish failed; the outbox sweep will relay it");
        }
        Ok(outcomes
            .into_iter()
            .map(|o| o.expect("every item has an outcome"))
            .collect())
    }

    /// Starts a run for each item whose workflow has a step to take; the
    /// outcome of each other item (stale, finished, not found) is final.
    fn open(
        &self,
        items: &[Item<'_>],
        opened: Opened,
        runs: &mut Vec<Run>,
    ) -> Vec<Option<Result<Outcome, ProcessError>>> {
        let mut workflows: HashMap<Uuid, Workflow> =
            opened.workflows.into_iter().map(|w| (w.id, w)).collect();
        let mut leads: HashMap<Uuid, Lead> = opened.leads.into_iter().map(|l| (l.id, l)).collect();
        let tenants: HashMap<Uuid, Arc<Tenant>> = opened
            .tenants
            .into_iter()
            .map(|t| (t.id, Arc::new(t)))
            .collect();
        // How many items still need each lead: the last one takes it, the
        // others (two workflows of one lead) get a copy.
        let mut uses: HashMap<Uuid, usize> = HashMap::with_capacity(items.len());
        for item in items {
            *uses.entry(item.p.lead_id).or_default() += 1;
        }
        let now = self.settings.clock.now();
        let mut outcomes = Vec::with_capacity(items.len());
        for (slot, item) in items.iter().enumerate() {
            let wf = workflows.remove(&item.p.workflow_id);
            let left = uses.get_mut(&item.p.lead_id).expect("counted above");
            *left -= 1;
            let lead = if *left == 0 {
                leads.remove(&item.p.lead_id)
            } else {
                leads.get(&item.p.lead_id).cloned()
            };
            let blocks = opened
                .blocks
                .get(&item.p.lead_id)
                .copied()
                .unwrap_or_default();
            let tenant = tenants.get(&item.event.tenant_id).cloned();
            outcomes.push(match context(item, wf, lead, tenant, blocks, now) {
                Ok(Ok(ctx)) => {
                    runs.push(Run::new(slot, ctx, item.event));
                    None
                }
                Ok(Err(skipped)) => Some(Ok(Outcome::Skipped(skipped))),
                Err(e) => Some(Err(e)),
            });
        }
        outcomes
    }
}

/// The context of an item's step, or the reason to skip it when the
/// delivery is stale or the workflow finished.
fn context(
    item: &Item<'_>,
    wf: Option<Workflow>,
    lead: Option<Lead>,
    tenant: Option<Arc<Tenant>>,
    blocks: memory::repo::suppressions::Blocks,
    now: DateTime<Utc>,
) -> Result<Result<StepContext, &'static str>, ProcessError> {
    let tenant_id = item.event.tenant_id;
    let (Some(wf), Some(lead), Some(tenant)) =
        (wf, lead.filter(|l| l.tenant_id == tenant_id), tenant)
    else {
        return Err(MemoryError::NotFound.into());
    };
    if wf.tenant_id != tenant_id || wf.lead_id != lead.id {
        return Err(ProcessError::Permanent(
            "event tenant or lead does not own the workflow".into(),
        ));
    }
    if let Some(skipped) = skip_reason(&wf, item.p)? {
        return Ok(Err(skipped));
    }
    Ok(Ok(StepContext::new(wf, lead, tenant, blocks, now)?))
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

/// The action_logs row of one provider call.
pub fn action_log(
    tenant_id: Uuid,
    workflow_id: Option<Uuid>,
    lead_id: Option<Uuid>,
    c: ProviderCall,
) -> NewActionLog {
    NewActionLog {
        id: Uuid::new_v4(),
        tenant_id,
        workflow_id,
        lead_id,
        action_type: c.action_type.to_owned(),
        provider: c.provider.to_owned(),
        idempotency_key: c.idempotency_key,
        request: JsonText(c.request.into()),
        response: c.response.map(|json| JsonText(json.into())),
        status_code: c.status_code.map(i32::from),
        success: c.success,
        error: c.error,
        duration_ms: c.duration_ms.min(i32::MAX as u64) as i32,
    }
}
