//! Group commit for POST /api/leads. A lead that arrives while earlier ones
//! are being written waits for the next batch, and each batch is one
//! transaction: its tenants read in one query, its leads, workflows and
//! events in three multi-row INSERTs, one commit. A lone lead is written at
//! once, so batching adds no wait; under load, the commits and round trips
//! are shared. (A request with an Idempotency-Key takes the one-request
//! path in `leads::create`.)

use crate::access::{Admission, Gate};
use crate::error::ApiError;
use diesel_async::AsyncConnection;
use memory::{DbPool, MemoryError, Tenant, repo};
use orchestrator::{AcceptedLead, LeadIntake, OutboxRelay, accept_leads};
use shared_types::{LeadProfile, ProductSlug};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc, oneshot};
use uuid::Uuid;

/// Leads written in one transaction, at most.
const MAX_BATCH: usize = 64;
/// Batches written at the same time (each holds a pooled connection).
const MAX_BATCHES_IN_FLIGHT: usize = 2;
/// Leads waiting for a batch before `submit` itself waits.
const QUEUE_CAPACITY: usize = 1024;

/// One lead waiting for its batch.
pub struct Submission {
    pub tenant_id: Uuid,
    pub product: ProductSlug,
    pub profile: LeadProfile,
    pub traceparent: Option<String>,
}

struct Pending {
    lead: Submission,
    reply: oneshot::Sender<Result<AcceptedLead, ApiError>>,
}

#[derive(Clone)]
pub struct IntakeQueue {
    tx: mpsc::Sender<Pending>,
}

impl IntakeQueue {
    /// Starts the batch writer: call inside a tokio runtime.
    pub fn start(pool: DbPool, relay: OutboxRelay, admission: Admission) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(run(
            Writer {
                pool,
                relay,
                admission,
            },
            rx,
        ));
        Self { tx }
    }

    /// Stores the lead, its workflow and its `lead_created` event with the
    /// batch it lands in; the event is published right after the answer (if
    /// Redis is down it waits in the outbox for the relay's sweep).
    pub async fn submit(&self, lead: Submission) -> Result<AcceptedLead, ApiError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || ApiError::Unavailable("the lead intake is shutting down".into());
        self.tx
            .send(Pending { lead, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

#[derive(Clone)]
struct Writer {
    pool: DbPool,
    relay: OutboxRelay,
    admission: Admission,
}

async fn run(writer: Writer, mut rx: mpsc::Receiver<Pending>) {
    let in_flight = Arc::new(Semaphore::new(MAX_BATCHES_IN_FLIGHT));
    while let Some(first) = rx.recv().await {
        // Waiting for a free writer first lets the batch fill meanwhile.
        let permit = in_flight
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let writer = writer.clone();
        tokio::spawn(async move {
            writer.write(batch).await;
            drop(permit);
        });
    }
}

impl Writer {
    /// Commits the batch and answers each request. If the batch as a whole
    /// fails, each lead is tried on its own, so one bad row cannot fail the
    /// leads that happened to share its transaction.
    async fn write(&self, batch: Vec<Pending>) {
        let leads: Vec<&Submission> = batch.iter().map(|p| &p.lead).collect();
        match self.commit(&leads).await {
            Ok(verdicts) => {
                let events: Vec<_> = verdicts
                    .iter()
                    .filter_map(|v| v.as_ref().ok().map(|a| a.event.clone()))
                    .collect();
                // Committed leads are answered before their events go to
                // Redis: the outbox already holds the events, so the answer
                // waits for neither a Redis round trip nor a Redis outage.
                for (p, verdict) in batch.into_iter().zip(verdicts) {
                    let _ = p.reply.send(verdict);
                }
                if let Err(e) = self.relay.publish_now(&events).await {
                    tracing::warn!(error = %e, "events stay in the outbox until Redis is back");
                }
            }
            Err(e) if batch.len() == 1 => {
                let p = batch.into_iter().next().expect("one lead");
                let _ = p.reply.send(Err(e));
            }
            Err(e) => {
                tracing::warn!(error = %e, count = batch.len(), "lead batch failed; writing its leads one by one");
                for p in batch {
                    Box::pin(self.write(vec![p])).await;
                }
            }
        }
    }

    /// One transaction: the tenants, then the admitted leads. The verdicts
    /// are in the order of `leads`.
    async fn commit(
        &self,
        leads: &[&Submission],
    ) -> Result<Vec<Result<AcceptedLead, ApiError>>, ApiError> {
        let mut conn = self.pool.get().await.map_err(MemoryError::from)?;
        let admission = self.admission;
        conn.transaction(async move |conn| {
            let mut ids: Vec<Uuid> = leads.iter().map(|l| l.tenant_id).collect();
            ids.sort_unstable();
            ids.dedup();
            let tenants: HashMap<Uuid, Tenant> = repo::tenants::find_many(conn, &ids)
                .await?
                .into_iter()
                .map(|t| (t.id, t))
                .collect();
            let admitted: Vec<Result<&Tenant, ApiError>> = leads
                .iter()
                .map(|l| {
                    let tenant = tenants.get(&l.tenant_id).ok_or(ApiError::Unauthorized)?;
                    admission.check(tenant, l.product, Gate::Subscribed)?;
                    Ok(tenant)
                })
                .collect();
            let intakes: Vec<LeadIntake> = leads
                .iter()
                .zip(&admitted)
                .filter_map(|(l, t)| {
                    let tenant = t.as_ref().ok()?;
                    Some(LeadIntake {
                        tenant,
                        profile: l.profile.clone(),
                        traceparent: l.traceparent.clone(),
                    })
                })
                .collect();
            let mut accepted = accept_leads(conn, intakes).await?.into_iter();
            Ok(admitted
                .into_iter()
                .map(|t| t.map(|_| accepted.next().expect("one per admitted lead")))
                .collect())
        })
        .await
    }
}
