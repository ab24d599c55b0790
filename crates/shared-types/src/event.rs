//! The envelope every event carries on Redis Streams and in the outbox.

use crate::EventType;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainEvent {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub tenant_id: Uuid,
    pub payload: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
    /// Delivery attempt, 1 on first delivery; the bus rewrites it on retry.
    pub attempt: u32,
    /// W3C trace context of the span that caused the event, so the worker's
    /// spans join the request's trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    /// Already acted on in the transaction that emitted it (the worker ran
    /// the next step at once): published for listeners, and a worker
    /// receiving it has nothing to do.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub handled: bool,
}

impl DomainEvent {
    pub fn new(event_type: EventType, tenant_id: Uuid, payload: serde_json::Value) -> Self {
        Self {
            id: Uuid::new_v4(),
            event_type,
            tenant_id,
            payload,
            occurred_at: Utc::now(),
            attempt: 1,
            traceparent: None,
            handled: false,
        }
    }

    pub fn for_workflow(event_type: EventType, tenant_id: Uuid, p: WorkflowEventPayload) -> Self {
        Self::new(
            event_type,
            tenant_id,
            serde_json::to_value(p).expect("payload serializes"),
        )
    }

    /// The workflow this event concerns, when it concerns one.
    pub fn workflow_payload(&self) -> Option<WorkflowEventPayload> {
        WorkflowEventPayload::deserialize(&self.payload).ok()
    }

    /// The meeting this event concerns (`meeting_reminder_due`).
    pub fn meeting_payload(&self) -> Option<MeetingEventPayload> {
        MeetingEventPayload::deserialize(&self.payload).ok()
    }
}

/// Payload of meeting events: the meeting and its lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingEventPayload {
    pub meeting_id: Uuid,
    pub lead_id: Uuid,
}

/// Payload of every workflow event. `step` is the workflow's step counter
/// when the event was emitted: a delivery whose step no longer matches the
/// workflow is a duplicate or stale, and is acknowledged without acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowEventPayload {
    pub workflow_id: Uuid,
    pub lead_id: Uuid,
    pub step: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_uses_the_documented_field_names() {
        let e = DomainEvent::for_workflow(
            EventType::LeadCreated,
            Uuid::nil(),
            WorkflowEventPayload {
                workflow_id: Uuid::nil(),
                lead_id: Uuid::nil(),
                step: 0,
            },
        );
        let v = serde_json::to_value(&e).unwrap();
        for key in ["id", "type", "tenantId", "payload", "occurredAt", "attempt"] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(v["type"], "lead_created");
        assert_eq!(v["payload"]["workflowId"], Uuid::nil().to_string());
        assert_eq!(e.workflow_payload().unwrap().step, 0);
    }
}
