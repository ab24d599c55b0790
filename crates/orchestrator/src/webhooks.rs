//! The tenant's webhook (API.md `webhookUrl`): every lead event, as signed
//! JSON, after the worker has handled the event. Delivery is at least once
//! (a redelivered event posts again with the same `X-GrowthOS-Event-Id`, so
//! receivers deduplicate on it). A transient failure retries the event
//! through the bus, whose handling then finds its workflow step already
//! done; a refused URL (private address, 4xx) is logged, not retried.

use crate::process::{Inner, ProcessError};
use action_layer::ActionError;
use memory::MemoryError;
use serde_json::json;
use shared_types::{DomainEvent, EventType};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long a tenant's webhook settings are trusted before being read
/// again: every event of a busy tenant would otherwise cost a query.
const TARGET_TTL: Duration = Duration::from_secs(5);

/// Where a tenant's events go: (URL, signing secret), or nowhere.
type Target = Option<(String, String)>;

#[derive(Default)]
pub(crate) struct WebhookTargets(Mutex<HashMap<Uuid, (Instant, Target)>>);

impl WebhookTargets {
    fn get(&self, tenant: Uuid) -> Option<Target> {
        let map = self.0.lock().expect("webhook targets lock");
        map.get(&tenant)
            .filter(|(at, _)| at.elapsed() < TARGET_TTL)
            .map(|(_, t)| t.clone())
    }

    fn put(&self, tenant: Uuid, target: Target) {
        let mut map = self.0.lock().expect("webhook targets lock");
        map.retain(|_, (at, _)| at.elapsed() < TARGET_TTL);
        map.insert(tenant, (Instant::now(), target));
    }
}

/// Events about a lead that the tenant hears about; the scheduler's
/// internal triggers are not among them.
fn is_lead_event(t: EventType) -> bool {
    !matches!(t, EventType::FollowupDue | EventType::MeetingReminderDue)
}

impl Inner {
    pub(crate) async fn deliver_webhook(&self, event: &DomainEvent) -> Result<(), ProcessError> {
        if !is_lead_event(event.event_type) {
            return Ok(());
        }
        let Some(p) = event.workflow_payload() else {
            return Ok(());
        };
        let target = match self.webhook_targets.get(event.tenant_id) {
            Some(t) => t,
            None => {
                let mut conn = self.pool.get().await.map_err(MemoryError::from)?;
                let tenant = memory::repo::tenants::find(&mut conn, event.tenant_id).await?;
                let t = tenant.webhook_url.map(|url| (url, tenant.webhook_secret));
                self.webhook_targets.put(event.tenant_id, t.clone());
                t
            }
        };
        let Some((url, secret)) = target else {
            return Ok(());
        };
        let mut conn = self.pool.get().await.map_err(MemoryError::from)?;
        let lead = match memory::repo::leads::find(&mut conn, event.tenant_id, p.lead_id).await {
            Err(MemoryError::NotFound) => return Ok(()),
            other => other?,
        };
        let body = json!({
            "id": event.id,
            "type": event.event_type,
            "tenantId": event.tenant_id,
            "occurredAt": event.occurred_at,
            "data": {
                "workflowId": p.workflow_id,
                "lead": {
                    "id": lead.id, "name": lead.name, "email": lead.email, "phone": lead.phone,
                    "source": lead.source, "status": lead.status, "score": lead.score,
                    "qualificationReason": lead.qualification_reason,
                },
            },
        });
        let (result, call) = self
            .providers
            .webhooks
            .deliver(&url, secret.as_bytes(), &body, &event.id.to_string())
            .await;
        let log = crate::action_log(event.tenant_id, Some(p.workflow_id), Some(lead.id), call);
        memory::repo::logs::insert_action_logs(&mut conn, &[log]).await?;
        match result {
            Ok(_) => Ok(()),
            Err(ActionError::Transient(e)) => Err(ProcessError::Transient(e)),
            Err(e) => {
                tracing::warn!(error = %e, "tenant webhook refused; not retried");
                Ok(())
            }
        }
    }
}
