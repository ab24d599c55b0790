//! The `resend_events` ledger and the lead an inbound email comes from.

use crate::error::ApiError;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use memory::Lead;
use memory::schema::{leads, resend_events, tenants};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// Records the delivery `svix_id` as being handled; `false` when it was
/// handled before (or is being handled by a concurrent request, which this
/// one then waits for). Call inside the transaction that acts on it.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    svix_id: &str,
    event_type: &str,
    email_id: Option<&str>,
) -> Result<bool, ApiError> {
    let n = diesel::insert_into(resend_events::table)
        .values((
            resend_events::svix_id.eq(svix_id),
            resend_events::event_type.eq(event_type),
            resend_events::email_id.eq(email_id),
            resend_events::outcome.eq("processing"),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(n == 1)
}

pub async fn set_outcome(
    conn: &mut AsyncPgConnection,
    svix_id: &str,
    outcome: &str,
) -> Result<(), ApiError> {
    diesel::update(resend_events::table.find(svix_id))
        .set(resend_events::outcome.eq(outcome))
        .execute(conn)
        .await?;
    Ok(())
}

/// Leads looked at for one sender; a person is rarely a lead of more.
const CANDIDATES: i64 = 50;

/// A lead with its tenant's reply-to and notification addresses.
type Candidate = (Lead, Option<String>, Option<String>);

/// The lead an inbound email from `sender` answers, or `None` when no lead
/// has that address or the choice is ambiguous:
///
/// 1. tags naming a `lead_id` (and maybe a `tenant_id`) of a lead with
///    that address;
/// 2. the leads with that address, narrowed, when they belong to several
///    tenants, to the tenant whose reply-to or notification address the
///    email went to; a sender still spread over several tenants matches
///    none (never one tenant's reply in another's records);
/// 3. within the one tenant, its newest lead with that address.
pub async fn inbound_lead(
    conn: &mut AsyncPgConnection,
    sender: &str,
    recipients: &[String],
    tags: &HashMap<String, String>,
) -> Result<Option<Lead>, ApiError> {
    let candidates: Vec<Candidate> = leads::table
        .inner_join(tenants::table)
        .filter(diesel::dsl::sql::<Bool>("lower(leads.email) = ").bind::<Text, _>(sender))
        .order((leads::created_at.desc(), leads::id.desc()))
        .limit(CANDIDATES)
        .select((
            Lead::as_select(),
            tenants::reply_to,
            tenants::notification_email,
        ))
        .load(conn)
        .await?;
    Ok(choose(candidates, recipients, tags))
}

fn choose(
    mut candidates: Vec<Candidate>,
    recipients: &[String],
    tags: &HashMap<String, String>,
) -> Option<Lead> {
    let tagged = |key: &str| tags.get(key).and_then(|v| v.trim().parse::<Uuid>().ok());
    if let Some(tenant) = tagged("tenant_id") {
        candidates.retain(|(l, ..)| l.tenant_id == tenant);
    }
    if let Some(lead) = tagged("lead_id")
        && let Some(i) = candidates.iter().position(|(l, ..)| l.id == lead)
    {
        return Some(candidates.swap_remove(i).0);
    }
    let tenants = |c: &[Candidate]| c.iter().map(|(l, ..)| l.tenant_id).collect::<BTreeSet<_>>();
    if tenants(&candidates).len() > 1 {
        let addressed = |a: &Option<String>| {
            a.as_deref()
                .is_some_and(|a| recipients.iter().any(|r| r.eq_ignore_ascii_case(a.trim())))
        };
        candidates.retain(|(_, reply_to, notify)| addressed(reply_to) || addressed(notify));
        if tenants(&candidates).len() != 1 {
            return None;
        }
    }
    // Newest first, as loaded.
    candidates.into_iter().next().map(|(l, ..)| l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, Utc};

    fn lead(tenant: Uuid, age_days: i64) -> Lead {
        let at = Utc::now() - Duration::days(age_days);
        Lead {
            id: Uuid::new_v4(),
            tenant_id: tenant,
            name: "Dana".into(),
            email: "dana@example.com".into(),
            phone: None,
            source: "test".into(),
            status: "contacted".into(),
            score: None,
            qualification_reason: None,
            metadata: serde_json::json!({}),
            first_action_at: None,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn one_tenant_means_its_newest_lead() {
        let t = Uuid::new_v4();
        let (new, old) = (lead(t, 1), lead(t, 9));
        let id = new.id;
        let got = choose(
            vec![(new, None, None), (old, None, None)],
            &[],
            &HashMap::new(),
        );
        assert_eq!(got.map(|l| l.id), Some(id));
        assert!(choose(Vec::new(), &[], &HashMap::new()).is_none());
    }

    #[test]
    fn several_tenants_need_the_address_the_email_went_to() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let la = lead(a, 1);
        let lb = lead(b, 2);
        let lb_id = lb.id;
        let both = || {
            vec![
                (la.clone(), Some("owner@a.example".into()), None),
                (lb.clone(), None, Some("Owner@B.example".into())),
            ]
        };
        assert!(choose(both(), &[], &HashMap::new()).is_none(), "ambiguous");
        let got = choose(both(), &["owner@b.example".into()], &HashMap::new());
        assert_eq!(got.map(|l| l.id), Some(lb_id));
        let tags = HashMap::from([("lead_id".to_owned(), lb_id.to_string())]);
        assert_eq!(choose(both(), &[], &tags).map(|l| l.id), Some(lb_id));
        let tags = HashMap::from([("tenant_id".to_owned(), a.to_string())]);
        assert_eq!(choose(both(), &[], &tags).map(|l| l.id), Some(la.id));
    }
}
