//! What a step needs to know, loaded once per step inside its transaction.

use crate::process::ProcessError;
use action_layer::{Calendar, Mailer, WebhookSender};
use agents::{Agents, LeadContext};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use memory::repo::suppressions::Blocks;
use memory::{AsyncPgConnection, Lead, MemoryError, Tenant, Workflow};
use serde::Deserialize;
use shared_types::{BusinessHours, LeadEmail, LeadProfile, ProductConfig};
use std::sync::Arc;

/// The provider-facing parts, each with its embedded default.
#[derive(Clone)]
pub struct Providers {
    pub agents: Agents,
    pub mailer: Mailer,
    pub calendar: Calendar,
    /// Delivers lead events to the tenant's webhook URL.
    pub webhooks: WebhookSender,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// EMAIL_FROM: the verified sender address mail goes out from.
    pub email_from: String,
    /// PUBLIC_URL of the gateway (links in emails).
    pub public_url: String,
    /// How far ahead the scheduler looks for a free slot.
    pub booking_horizon_days: u32,
    /// Signs the one-click unsubscribe link of every marketing email.
    pub unsubscribe: crate::UnsubscribeSigner,
    /// Where every step reads "now": the system clock in production.
    pub clock: crate::Clock,
}

pub(crate) struct StepContext {
    pub wf: Workflow,
    pub lead: Lead,
    /// Shared by the steps of one batch for the same tenant.
    pub tenant: Arc<Tenant>,
    /// What the lead's suppressions block.
    pub lead_blocks: Blocks,
    pub product: Arc<ProductConfig>,
    pub tz: Tz,
    pub now: DateTime<Utc>,
}

impl StepContext {
    /// The context of a workflow whose lead the caller has not read: the
    /// lead, its tenant and its suppressions in one round trip (pipelined).
    pub async fn load(
        conn: &AsyncPgConnection,
        wf: Workflow,
        now: DateTime<Utc>,
    ) -> Result<Self, ProcessError> {
        let (leads, tenants) = ([wf.lead_id], [wf.tenant_id]);
        let (mut c1, mut c2, mut c3) = (conn, conn, conn);
        let (leads, tenants, blocks) = futures::try_join!(
            memory::repo::leads::find_many(&mut c1, &leads),
            memory::repo::tenants::find_many(&mut c2, &tenants),
            memory::repo::suppressions::blocks_of_leads(&mut c3, &leads),
        )?;
        let lead = leads
            .into_iter()
            .find(|lead| lead.tenant_id == wf.tenant_id)
            .ok_or(MemoryError::NotFound)?;
        let tenant = tenants.into_iter().next().ok_or(MemoryError::NotFound)?;
        let lead_blocks = blocks.get(&lead.id).copied().unwrap_or_default();
        Self::new(wf, lead, Arc::new(tenant), lead_blocks, now)
    }

    pub fn new(
        wf: Workflow,
        lead: Lead,
        tenant: Arc<Tenant>,
        lead_blocks: Blocks,
        now: DateTime<Utc>,
    ) -> Result<Self, ProcessError> {
        let product = wf
            .product_config
            .config()
            .map_err(|e| ProcessError::Permanent(format!("workflow product config: {e}")))?
            .clone();
        let tz = tenant.timezone.parse().unwrap_or(Tz::UTC);
        Ok(Self {
            wf,
            lead,
            tenant,
            lead_blocks,
            product,
            tz,
            now,
        })
    }

    /// The time zone follow-ups are timed in: the lead's own (an IANA name
    /// in its metadata's `timezone`) when it has a valid one, else the
    /// tenant's.
    pub fn cadence_tz(&self) -> Tz {
        lead_timezone(&self.lead.metadata).unwrap_or(self.tz)
    }

    pub fn business_hours(&self) -> BusinessHours {
        BusinessHours::deserialize(&self.tenant.business_hours).unwrap_or_default()
    }

    pub fn lead_context(&self) -> Result<LeadContext, ProcessError> {
        let email = LeadEmail::parse(&self.lead.email)
            .map_err(|e| ProcessError::Permanent(format!("stored lead email {e}")))?;
        Ok(LeadContext {
            lead_id: self.lead.id,
            tenant_id: self.tenant.id,
            profile: LeadProfile {
                name: self.lead.name.clone(),
                email,
                source: self.lead.source.clone(),
                phone: self.lead.phone.clone(),
                metadata: self.lead.metadata.as_object().cloned().unwrap_or_default(),
            },
            received_at: self.lead.created_at,
            business_name: self.tenant.name.clone(),
        })
    }

    /// Reply-To for mail to the lead: the tenant's reply address, else its
    /// notification address, so answers reach the business owner.
    pub fn reply_to(&self) -> Option<String> {
        self.tenant
            .reply_to
            .clone()
            .or_else(|| self.tenant.notification_email.clone())
    }

    pub fn sender_name(&self) -> String {
        self.tenant
            .from_name
            .clone()
            .unwrap_or_else(|| self.tenant.name.clone())
    }

    /// Idempotency key of the action taken at this step.
    pub fn action_key(&self, action: &str) -> String {
        format!("wf-{}-step-{}-{action}", self.wf.id, self.wf.step)
    }
}

/// The IANA time zone a lead's metadata names under `timezone`, if valid.
pub(crate) fn lead_timezone(metadata: &serde_json::Value) -> Option<Tz> {
    metadata.get("timezone")?.as_str()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_lead_names_its_time_zone_in_its_metadata() {
        assert_eq!(
            lead_timezone(&json!({"timezone": "Europe/London"})),
            Some(chrono_tz::Europe::London)
        );
        for m in [
            json!({}),
            json!({"timezone": "Mars/Olympus"}),
            json!({"timezone": 5}),
            json!(null),
        ] {
            assert_eq!(lead_timezone(&m), None, "{m}");
        }
    }
}
