//! Lead intake: the lead, its workflow and the `lead_created` event are
//! written in ONE transaction, so a lead is never stored without the event
//! that makes the worker act on it.

use chrono::Utc;
use memory::{AsyncPgConnection, Lead, MemoryError, NewLead, NewWorkflow, Tenant, Workflow};
use rules_engine::Catalog;
use shared_types::{DomainEvent, EventType, LeadProfile, ProductSlug, WorkflowEventPayload};
use uuid::Uuid;

pub struct AcceptedLead {
    pub lead: Lead,
    pub workflow: Workflow,
    pub event: DomainEvent,
}

/// Call inside a transaction.
#[tracing::instrument(skip_all, fields(tenant.id = %tenant.id))]
pub async fn accept_lead(
    conn: &mut AsyncPgConnection,
    tenant: &Tenant,
    profile: LeadProfile,
    traceparent: Option<String>,
) -> Result<AcceptedLead, MemoryError> {
    let slug: ProductSlug = tenant
        .product
        .parse()
        .map_err(|e: shared_types::ParseEnumError| MemoryError::Conflict(e.to_string()))?;
    let product = Catalog::embedded().get(slug);
    let lead = NewLead {
        id: Uuid::new_v4(),
        tenant_id: tenant.id,
        name: profile.name,
        email: profile.email.as_str().to_owned(),
        phone: profile.phone,
        source: profile.source,
        metadata: serde_json::Value::Object(profile.metadata),
    };
    let workflow = NewWorkflow {
        id: Uuid::new_v4(),
        tenant_id: tenant.id,
        lead_id: lead.id,
        workflow_type: product.workflow_type.clone(),
        goal: product.goal.clone(),
        allowed_agents: product.agents.iter().map(|a| a.to_string()).collect(),
        product: product.slug.to_string(),
        product_config: serde_json::to_value(product).expect("config serializes"),
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
    let (lead, workflow) =
        memory::repo::intake::insert_lead(conn, &lead, &workflow, &event).await?;
    Ok(AcceptedLead {
        lead,
        workflow,
        event,
    })
}
