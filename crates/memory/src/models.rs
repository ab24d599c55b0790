//! Row types. Serialized forms use the camelCase field names of API.md, so
//! the gateway returns rows without a second, hand-kept mapping.

use crate::schema::*;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = tenants)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub id: Uuid,
    pub name: String,
    pub product: String,
    pub plan: String,
    pub subscription_status: String,
    #[serde(skip)]
    pub stripe_customer_id: Option<String>,
    #[serde(skip)]
    pub stripe_subscription_id: Option<String>,
    #[serde(skip)]
    pub price_amount_cents: Option<i64>,
    #[serde(skip)]
    pub subscription_updated_at: Option<DateTime<Utc>>,
    pub timezone: String,
    pub business_hours: serde_json::Value,
    pub meeting_duration_minutes: i32,
    pub notification_email: Option<String>,
    pub from_name: Option<String>,
    pub reply_to: Option<String>,
    pub physical_address: Option<String>,
    pub calendar_id: Option<String>,
    pub webhook_url: Option<String>,
    #[serde(skip)]
    pub webhook_secret: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = tenants)]
pub struct NewTenant {
    pub id: Uuid,
    pub name: String,
    pub product: String,
    pub subscription_status: String,
    pub timezone: String,
    /// Where notifications and, by default, the leads' replies go.
    pub notification_email: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = users)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub product: String,
    pub email: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = leads)]
#[serde(rename_all = "camelCase")]
pub struct Lead {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub source: String,
    pub status: String,
    pub score: Option<i32>,
    pub qualification_reason: Option<String>,
    pub metadata: serde_json::Value,
    pub first_action_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A lead as intake writes it: every column a new lead has, so the stored
/// row is known without reading it back (`Lead::from`).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = leads)]
pub struct NewLead {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub source: String,
    pub status: String,
    pub metadata: serde_json::Value,
    /// Whole microseconds, as PostgreSQL stores it, so the answer to the
    /// request shows what a later read shows.
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<NewLead> for Lead {
    fn from(l: NewLead) -> Self {
        Self {
            id: l.id,
            tenant_id: l.tenant_id,
            name: l.name,
            email: l.email,
            phone: l.phone,
            source: l.source,
            status: l.status,
            score: None,
            qualification_reason: None,
            metadata: l.metadata,
            first_action_at: None,
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = workflows)]
#[serde(rename_all = "camelCase")]
pub struct Workflow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub lead_id: Uuid,
    pub workflow_type: String,
    pub current_state: String,
    pub goal: String,
    pub allowed_agents: Vec<String>,
    pub product: String,
    #[serde(skip)]
    pub product_config: crate::ProductSnapshot,
    pub step: i32,
    pub followup_attempts: i32,
    pub next_followup_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub last_output: Option<serde_json::Value>,
    pub replied_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = workflows)]
pub struct NewWorkflow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub lead_id: Uuid,
    pub workflow_type: String,
    pub goal: String,
    pub allowed_agents: Vec<String>,
    pub product: String,
    pub product_config: crate::JsonText,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = workflow_transitions)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    pub id: Uuid,
    #[serde(skip)]
    pub tenant_id: Uuid,
    #[serde(skip)]
    pub workflow_id: Uuid,
    pub from_state: String,
    pub to_state: String,
    pub event: Option<String>,
    pub step: i32,
    pub created_at: DateTime<Utc>,
}

/// `input` and `output` are JSON text: the worker writes them serialized
/// once from the agent's own types, without a JSON tree.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = agent_logs)]
#[serde(rename_all = "camelCase")]
pub struct AgentLog {
    pub id: Uuid,
    #[serde(skip)]
    pub tenant_id: Uuid,
    pub workflow_id: Uuid,
    pub lead_id: Uuid,
    pub agent_type: String,
    pub implementation: String,
    pub model: Option<String>,
    pub rule_version: Option<String>,
    #[schema(value_type = Object)]
    pub input: crate::JsonText,
    #[schema(value_type = Option<Object>)]
    pub output: Option<crate::JsonText>,
    pub duration_ms: i32,
    pub success: bool,
    pub fallback: bool,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = meetings)]
#[serde(rename_all = "camelCase")]
pub struct Meeting {
    pub id: Uuid,
    #[serde(skip)]
    pub tenant_id: Uuid,
    pub lead_id: Uuid,
    pub workflow_id: Option<Uuid>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: String,
    pub calendar_provider: String,
    pub external_event_id: Option<String>,
    pub reminder_sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = messages)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub lead_id: Uuid,
    pub workflow_id: Option<Uuid>,
    pub direction: String,
    pub channel: String,
    pub kind: String,
    pub to_address: Option<String>,
    pub from_address: Option<String>,
    pub subject: Option<String>,
    pub content: String,
    #[serde(skip)]
    pub html: Option<String>,
    pub step_key: Option<String>,
    pub status: String,
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = action_logs)]
pub struct NewActionLog {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub workflow_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub action_type: String,
    pub provider: String,
    pub idempotency_key: Option<String>,
    pub request: crate::JsonText,
    pub response: Option<crate::JsonText>,
    pub status_code: Option<i32>,
    pub success: bool,
    pub error: Option<String>,
    pub duration_ms: i32,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: Uuid,
    pub envelope: serde_json::Value,
}

/// A change to a tenant's settings: `None` leaves a column as it is,
/// `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = tenants)]
pub struct TenantSettings {
    pub timezone: Option<String>,
    pub business_hours: Option<serde_json::Value>,
    pub meeting_duration_minutes: Option<i32>,
    pub notification_email: Option<Option<String>>,
    pub from_name: Option<Option<String>>,
    pub reply_to: Option<Option<String>>,
    pub physical_address: Option<Option<String>>,
    pub calendar_id: Option<Option<String>>,
    pub webhook_url: Option<Option<String>>,
}

/// A tenant API key. Only a hash of the key is stored; the key itself is
/// shown once, when created.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = api_keys)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    #[serde(skip)]
    pub key_hash: String,
    /// The first characters of the key, so its owner can tell keys apart.
    pub key_prefix: String,
    pub scope: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}
