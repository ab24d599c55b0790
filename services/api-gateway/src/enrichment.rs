//! LinkedIn enrichment of a new lead, after its 201: the profile page's
//! summary lands in `metadata.linkedinProfile`, or the reason it could not.
//! Never on the request path, so a slow or hostile page delays nothing.

use crate::state::AppState;
use action_layer::{LinkedinConfig, fetch_profile};
use memory::{DbPool, Lead, repo};
use orchestrator::action_log;
use serde_json::json;
use std::time::Duration;
use tracing::Instrument;
use uuid::Uuid;

const TIMEOUT: Duration = Duration::from_secs(3);

pub fn spawn_linkedin(state: &AppState, lead: &Lead, url: String) {
    let pool = state.pool.clone();
    let production = state.production;
    let (tenant_id, lead_id) = (lead.tenant_id, lead.id);
    let span =
        tracing::info_span!("linkedin_enrichment", tenant.id = %tenant_id, lead.id = %lead_id);
    actix_web::rt::spawn(
        async move {
            if let Err(e) = enrich(&pool, production, tenant_id, lead_id, &url).await {
                tracing::warn!(error = %e, "enrichment result not stored");
            }
        }
        .instrument(span),
    );
}

async fn enrich(
    pool: &DbPool,
    production: bool,
    tenant_id: Uuid,
    lead_id: Uuid,
    url: &str,
) -> anyhow::Result<()> {
    let outcome = if production && !url.starts_with("https://") {
        json!({"status": "skipped", "reason": "not an https URL"})
    } else {
        let cfg = LinkedinConfig {
            timeout: TIMEOUT,
            allow_loopback: !production,
        };
        let (result, call) = fetch_profile(url, cfg).await;
        let mut conn = pool.get().await?;
        repo::logs::insert_action_logs(
            &mut conn,
            &[action_log(tenant_id, None, Some(lead_id), call)],
        )
        .await?;
        match result {
            Ok(summary) => json!({"status": "fetched", "title": summary.title,
                "description": summary.description, "fetchedAt": chrono::Utc::now()}),
            Err(e) => json!({"status": "failed", "reason": e.to_string()}),
        }
    };
    let mut conn = pool.get().await?;
    repo::leads::merge_metadata(&mut conn, tenant_id, lead_id, "linkedinProfile", &outcome).await?;
    Ok(())
}
