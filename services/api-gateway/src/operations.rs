//! Operators' views: experiment statistics per product, and the events
//! that exhausted their retries (inspect, replay).

use crate::error::ApiError;
use crate::metrics::{pipeline, ratio};
use crate::state::AppState;
use event_bus::DeadLetter;
use memory::{MemoryError, repo};
use serde_json::{Value, json};
use shared_types::ProductSlug;

/// One entry per product: tenants, churn, MRR and the pipeline numbers.
pub async fn experiment_stats(state: &AppState) -> Result<Value, ApiError> {
    let mut conn = state.pool.get().await.map_err(MemoryError::from)?;
    let mut products = Vec::new();
    for slug in ProductSlug::ALL {
        let t = repo::metrics::tenants_of_product(&mut conn, slug.as_str()).await?;
        let c = repo::metrics::for_product(&mut conn, slug.as_str()).await?;
        let mut entry = pipeline(&c);
        entry.insert("product".into(), slug.as_str().into());
        for (k, v) in [
            ("totalTenants", t.total_tenants),
            ("activeTenants", t.active_tenants),
            ("pendingTenants", t.pending_tenants),
            ("canceledTenants", t.canceled_tenants),
            ("mrrCents", t.mrr_cents),
        ] {
            entry.insert(k.into(), v.into());
        }
        // Churn: the share of tenants who ever paid and have since canceled.
        entry.insert(
            "churn".into(),
            ratio(t.canceled_tenants, t.ever_paid_tenants).into(),
        );
        entry.insert("totalLeads".into(), c.counters.leads.into());
        entry.insert(
            "objections".into(),
            objections(&mut conn, slug.as_str()).await?,
        );
        products.push(Value::Object(entry));
    }
    Ok(json!({ "products": products }))
}

/// Replies per objection category (`rules_engine::OBJECTIONS`), summed
/// over the product's `objection_frequency` insights; every category is
/// present, 0 when no reply raised it.
async fn objections(
    conn: &mut memory::AsyncPgConnection,
    product: &str,
) -> Result<Value, ApiError> {
    let totals = repo::insights::totals(conn, product, "objection_frequency").await?;
    let counts = rules_engine::OBJECTIONS.iter().map(|o| {
        let n = totals
            .iter()
            .find(|t| t.key == o.category)
            .map_or(0, |t| t.total);
        (o.category.to_owned(), Value::from(n))
    });
    Ok(Value::Object(counts.collect()))
}

fn bus_error(e: event_bus::BusError) -> ApiError {
    ApiError::Unavailable(e.to_string())
}

pub async fn dead_letters(state: &AppState, limit: usize) -> Result<Vec<DeadLetter>, ApiError> {
    state
        .relay
        .bus()
        .dead_letters(limit)
        .await
        .map_err(bus_error)
}

/// Puts a dead letter back on the stream with a fresh retry budget; 404
/// when there is no such entry.
#[tracing::instrument(skip(state))]
pub async fn replay(state: &AppState, id: &str) -> Result<(), ApiError> {
    if state
        .relay
        .bus()
        .replay_dead_letter(id)
        .await
        .map_err(bus_error)?
    {
        tracing::info!("dead letter replayed by an operator");
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}
