//! Events the scheduler publishes at most once. Each has an id derived from
//! what it is about (UUID v5 of subject, step and kind), and the outbox
//! skips an id it already holds: a job that runs again, or on two replicas,
//! publishes nothing new. A workflow that has moved on has a new step, so
//! its next event gets a new id.

use crate::closing::rerun_event_type;
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use memory::repo::scheduling::{MeetingRef, WorkflowRef};
use memory::{AsyncPgConnection, MemoryError};
use shared_types::{DomainEvent, EventType, MeetingEventPayload, WorkflowEventPayload};
use uuid::Uuid;

/// Namespace of the ids of scheduled events (any fixed value would do; it
/// must never change, or a rerun would publish every event again).
const NAMESPACE: Uuid = Uuid::from_u128(0x5c3e_9a41_7d2b_4f06_b8e1_0a6f_2d47_c913);

/// The id of the `kind` event about `subject` at `step`.
pub fn once_id(subject: Uuid, step: i32, kind: EventType) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("{subject}/{step}/{kind}").as_bytes())
}

/// The event that runs the workflow's current step (`requeue`'s:
/// `lead_created`, `lead_qualified` or `followup_due`) with its
/// once-per-(workflow, step) id; `None` when nothing waits to run.
pub fn rerun_event(wf: &WorkflowRef, now: DateTime<Utc>) -> Option<DomainEvent> {
    let kind = rerun_event_type(&wf.current_state)?;
    let mut e = DomainEvent::for_workflow(
        kind,
        wf.tenant_id,
        WorkflowEventPayload {
            workflow_id: wf.id,
            lead_id: wf.lead_id,
            step: wf.step,
        },
    );
    e.id = once_id(wf.id, wf.step, kind);
    e.occurred_at = now;
    Some(e)
}

/// The meeting's `meeting_reminder_due` event, with its once-per-meeting id.
pub fn meeting_reminder_event(m: &MeetingRef, now: DateTime<Utc>) -> DomainEvent {
    let kind = EventType::MeetingReminderDue;
    let mut e = DomainEvent::new(
        kind,
        m.tenant_id,
        serde_json::to_value(MeetingEventPayload {
            meeting_id: m.id,
            lead_id: m.lead_id,
        })
        .expect("payload serializes"),
    );
    e.id = once_id(m.id, 0, kind);
    e.occurred_at = now;
    e
}

/// Puts in the outbox, in one transaction, each event whose id is not
/// there yet; returns those, to publish after the commit.
pub async fn enqueue_new(
    conn: &mut AsyncPgConnection,
    events: Vec<DomainEvent>,
) -> Result<Vec<DomainEvent>, MemoryError> {
    conn.transaction(async move |c| {
        let mut added = Vec::with_capacity(events.len());
        for e in events {
            if memory::repo::outbox::enqueue_once(c, &e).await? {
                added.push(e);
            }
        }
        Ok::<_, MemoryError>(added)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_differ_by_subject_step_and_kind() {
        let wf = Uuid::from_u128(1);
        let id = once_id(wf, 3, EventType::FollowupDue);
        assert_eq!(id, once_id(wf, 3, EventType::FollowupDue));
        assert_eq!(id.get_version_num(), 5);
        assert_ne!(id, once_id(wf, 4, EventType::FollowupDue));
        assert_ne!(id, once_id(wf, 3, EventType::LeadCreated));
        assert_ne!(id, once_id(Uuid::from_u128(2), 3, EventType::FollowupDue));
    }
}
