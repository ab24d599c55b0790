//! `meeting_reminder_due`: one reminder email per meeting, whatever the
//! number of deliveries. The meeting row is locked, the reminder sent and
//! `reminder_sent_at` set in one transaction, so a second delivery waits
//! for the first and then finds the reminder sent.

use crate::context::StepContext;
use crate::process::{Inner, Outcome, ProcessError, action_log};
use diesel_async::AsyncConnection;
use memory::MemoryError;
use shared_types::DomainEvent;

impl Inner {
    #[tracing::instrument(skip_all, fields(event.id = %event.id, tenant.id = %event.tenant_id, meeting.id))]
    pub(crate) async fn remind(&self, event: &DomainEvent) -> Result<Outcome, ProcessError> {
        let p = event
            .meeting_payload()
            .ok_or_else(|| ProcessError::Permanent("event carries no meeting".into()))?;
        tracing::Span::current().record("meeting.id", tracing::field::display(p.meeting_id));
        let mut conn = self.pool.get().await.map_err(MemoryError::from)?;
        let mut calls = Vec::new();
        let calls_ref = &mut calls;
        let result = conn
            .transaction(async move |conn| {
                let Some(meeting) =
                    memory::repo::meetings::lock(conn, event.tenant_id, p.meeting_id).await?
                else {
                    return Ok(Outcome::Skipped("meeting not found"));
                };
                if meeting.reminder_sent_at.is_some() {
                    return Ok(Outcome::Skipped("reminder already sent"));
                }
                if meeting.status != "confirmed" {
                    return Ok(Outcome::Skipped("meeting not confirmed"));
                }
                let now = self.settings.clock.now();
                if meeting.starts_at <= now {
                    return Ok(Outcome::Skipped("meeting already started"));
                }
                let workflows =
                    memory::repo::workflows::for_lead(conn, meeting.tenant_id, meeting.lead_id)
                        .await?;
                let Some(wf) = workflows
                    .into_iter()
                    .find(|w| Some(w.id) == meeting.workflow_id)
                else {
                    return Ok(Outcome::Skipped("meeting has no workflow"));
                };
                let ctx = StepContext::load(conn, wf, now).await?;
                let sent = crate::steps::remind::run(self, &ctx, &meeting, calls_ref).await?;
                let logs: Vec<_> = calls_ref
                    .iter()
                    .map(|c| {
                        action_log(ctx.tenant.id, Some(ctx.wf.id), Some(ctx.lead.id), c.clone())
                    })
                    .collect();
                memory::repo::logs::insert_action_logs(conn, &logs).await?;
                match sent {
                    Ok(message) => {
                        memory::repo::messages::insert(conn, &message).await?;
                        memory::repo::meetings::mark_reminder_sent(
                            conn,
                            meeting.tenant_id,
                            meeting.id,
                            now,
                        )
                        .await?;
                        tracing::info!("meeting reminder sent");
                        Ok(Outcome::ReminderSent)
                    }
                    Err(why) => {
                        tracing::warn!(reason = %why, "meeting reminder refused");
                        Ok::<_, ProcessError>(Outcome::Skipped("reminder refused"))
                    }
                }
            })
            .await;
        // As in `process`: calls made in a transaction that did not commit
        // happened all the same and are logged now.
        if result.is_err() && !calls.is_empty() {
            let logs: Vec<_> = calls
                .into_iter()
                .map(|c| action_log(event.tenant_id, None, Some(p.lead_id), c))
                .collect();
            if let Err(e) = memory::repo::logs::insert_action_logs(&mut conn, &logs).await {
                tracing::error!(error = %e, "could not record provider calls");
            }
        }
        result
    }
}
