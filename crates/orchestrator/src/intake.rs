//! Lead intake: a lead, its workflow and the `lead_created` event are
//! written in ONE transaction, so a lead is never stored without the event
//! that makes the worker act on it.

use chrono::{SubsecRound, Utc};
use memory::{AsyncPgConnection, JsonText, Lead, MemoryError, NewLead, NewWorkflow, Tenant};
use rules_engine::Catalog;
use shared_types::{
    DomainEvent, EventType, LeadProfile, LeadStatus, ProductSlug, WorkflowEventPayload,
};
use uuid::Uuid;

/// A lead to accept for an admitted tenant.
pub struct LeadIntake<'a> {
    pub tenant: &'a Tenant,
    pub profile: LeadProfile,
    pub traceparent: Option<String>,
}

pub struct AcceptedLead {
    pub lead: Lead,
    pub workflow_id: Uuid,
    pub event: DomainEvent,
}

/// Accepts one lead. Call inside a transaction.
pub async fn accept_lead(
    conn: &mut AsyncPgConnection,
    tenant: &Tenant,
    profile: LeadProfile,
    traceparent: Option<String>,
) -> Result<AcceptedLead, MemoryError> {
    let intake = LeadIntake {
        tenant,
        profile,
        traceparent,
    };
    let mut accepted = accept_leads(conn, vec![intake]).await?;
    accepted.pop().ok_or(MemoryError::NotFound)
}

/// Accepts leads (of one tenant or several) with three statements whatever
/// their number; the answers are in the order of `leads`. Call inside a
/// transaction.
#[tracing::instrument(skip_all, fields(count = leads.len()))]
pub async fn accept_leads(
    conn: &mut AsyncPgConnection,
    leads: Vec<LeadIntake<'_>>,
) -> Result<Vec<AcceptedLead>, MemoryError> {
    let mut rows = Vec::with_capacity(leads.len());
    let mut workflows = Vec::with_capacity(leads.len());
    let mut events = Vec::with_capacity(leads.len());
    for intake in leads {
        let (lead, workflow, event) = new_rows(intake)?;
        rows.push(lead);
        workflows.push(workflow);
        events.push(event);
    }
    memory::repo::intake::insert_leads(conn, &rows, &workflows, &events).await?;
    Ok(rows
        .into_iter()
        .zip(workflows)
        .zip(events)
        .map(|((lead, workflow), event)| AcceptedLead {
            lead: lead.into(),
            workflow_id: workflow.id,
            event,
        })
        .collect())
}

/// The rows of one lead: the lead, the workflow its tenant's product runs,
/// and the event that starts it.
fn new_rows(intake: LeadIntake<'_>) -> Result<(NewLead, NewWorkflow, DomainEvent), MemoryError> {
    let LeadIntake {
        tenant,
        profile,
        traceparent,
    } = intake;
    let slug: ProductSlug = tenant
        .product
        .parse()
        .map_err(|e: shared_types::ParseEnumError| MemoryError::Conflict(e.to_string()))?;
    let catalog = Catalog::embedded();
    let product = catalog.get(slug);
    let now = Utc::now().trunc_subsecs(6);
    let lead = NewLead {
        id: Uuid::new_v4(),
        tenant_id: tenant.id,
        name: profile.name,
        email: profile.email.as_str().to_owned(),
        phone: profile.phone,
        source: profile.source,
        status: LeadStatus::New.as_str().to_owned(),
        metadata: serde_json::Value::Object(profile.metadata),
        created_at: now,
        updated_at: now,
    };
    let workflow = NewWorkflow {
        id: Uuid::new_v4(),
        tenant_id: tenant.id,
        lead_id: lead.id,
        workflow_type: product.workflow_type.clone(),
        goal: product.goal.clone(),
        allowed_agents: product.agents.iter().map(|a| a.to_string()).collect(),
        product: product.slug.to_string(),
        product_config: JsonText(catalog.json(slug).into()),
    };
    let mut event = DomainEvent::for_workflow(
        EventType::LeadCreated,
        tenant.id,
        WorkflowEventPayload {
            workflow_id: workflow.id,
            lead_id: lead.id,
            step: 0,
        },
    );
    event.occurred_at = Utc::now();
    event.traceparent = traceparent;
    Ok((lead, workflow, event))
}
