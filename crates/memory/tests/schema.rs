//! The database itself enforces what matters: no double booking, and the
//! migrations are what `schema.rs` says they are.

use chrono::{Duration, Utc};
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, RunQueryDsl};
use memory::{Meeting, NewLead, NewTenant, User, repo};
use test_support::TestDatabase;
use uuid::Uuid;

async fn tenant_with_leads(conn: &mut memory::AsyncPgConnection, n: usize) -> (Uuid, Vec<Uuid>) {
    let tenant_id = Uuid::new_v4();
    let tenant = NewTenant {
        id: tenant_id,
        name: "Slots Inc".into(),
        product: "saas-booker".into(),
        subscription_status: "active".into(),
        timezone: "UTC".into(),
        notification_email: None,
    };
    let user = User {
        id: Uuid::new_v4(),
        tenant_id,
        product: "saas-booker".into(),
        email: format!("{tenant_id}@example.com"),
        password_hash: "!".into(),
        role: "owner".into(),
        created_at: Utc::now(),
    };
    repo::tenants::create(conn, &tenant, &user).await.unwrap();
    let mut leads = Vec::new();
    for i in 0..n {
        let lead = NewLead {
            id: Uuid::new_v4(),
            tenant_id,
            name: format!("Lead {i}"),
            email: format!("l{i}@example.com"),
            phone: None,
            source: "test".into(),
            status: "new".into(),
            metadata: serde_json::json!({}),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        diesel::insert_into(memory::schema::leads::table)
            .values(&lead)
            .execute(conn)
            .await
            .unwrap();
        leads.push(lead.id);
    }
    (tenant_id, leads)
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_bookings_of_one_slot_yield_one_meeting() {
    let db = TestDatabase::new().await.unwrap();
    // 25 connections for 50 attempts: every attempt still races another.
    let pool = memory::create_pool(&db.url, 25).unwrap();
    let (tenant_id, leads) = tenant_with_leads(&mut pool.get().await.unwrap(), 50).await;
    // Log the 25 connections in first, one by one: the race is between the
    // inserts, and on a busy machine 25 simultaneous logins can outlast the
    // pool's checkout timeout.
    let mut warm = Vec::new();
    for _ in 0..25 {
        warm.push(pool.get().await.unwrap());
    }
    drop(warm);
    let starts_at = Utc::now() + Duration::days(1);
    let attempts = leads.into_iter().map(|lead_id| {
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut conn = pool.get().await.unwrap();
            let m = Meeting {
                id: Uuid::new_v4(),
                tenant_id,
                lead_id,
                workflow_id: None,
                starts_at,
                ends_at: starts_at + Duration::minutes(30),
                status: "confirmed".into(),
                calendar_provider: "internal".into(),
                external_event_id: None,
                reminder_sent_at: None,
                created_at: Utc::now(),
            };
            repo::meetings::insert(&mut conn, &m).await
        })
    });
    let results = futures::future::join_all(attempts).await;
    let ok = results
        .iter()
        .filter(|r| r.as_ref().unwrap().is_ok())
        .count();
    let overlaps = results
        .iter()
        .filter(|r| r.as_ref().unwrap().as_ref().is_err_and(|e| e.is_overlap()))
        .count();
    assert_eq!((ok, overlaps), (1, 49));
    // A cancelled meeting frees its slot.
    let mut conn = pool.get().await.unwrap();
    diesel::sql_query("UPDATE meetings SET status = 'cancelled'")
        .execute(&mut conn)
        .await
        .unwrap();
    let busy = repo::meetings::busy_between(
        &mut conn,
        tenant_id,
        Utc::now(),
        starts_at + Duration::days(1),
    )
    .await
    .unwrap();
    assert!(busy.is_empty());
}

#[derive(diesel::QueryableByName, Debug, PartialEq)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_rs_matches_the_migrated_database() {
    let db = TestDatabase::new().await.unwrap();
    let mut conn = memory::AsyncPgConnection::establish(&db.url).await.unwrap();
    let mut live: Vec<(String, String)> = diesel::sql_query(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations' ORDER BY 1, ordinal_position",
    )
    .load::<Column>(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|c| (c.table_name, c.column_name))
    .collect();
    let source = include_str!("../src/schema.rs");
    let mut declared = Vec::new();
    let mut table = None;
    for line in source.lines().map(str::trim) {
        if let Some(rest) = line
            .strip_suffix(") {")
            .filter(|_| !line.starts_with("diesel"))
        {
            table = rest.split_whitespace().next().map(str::to_owned);
        } else if line == "}" {
            table = None;
        } else if let (Some(t), Some((col, _))) = (&table, line.split_once(" -> ")) {
            declared.push((t.clone(), col.to_owned()));
        }
    }
    live.sort();
    declared.sort();
    assert_eq!(declared, live);
}

#[tokio::test(flavor = "multi_thread")]
async fn migrations_report_nothing_pending_once_applied() {
    let db = TestDatabase::new().await.unwrap();
    let mut conn = memory::AsyncPgConnection::establish(&db.url).await.unwrap();
    assert!(
        memory::pending_migrations(&mut conn)
            .await
            .unwrap()
            .is_empty()
    );
    diesel::sql_query("DELETE FROM __diesel_schema_migrations")
        .execute(&mut conn)
        .await
        .unwrap();
    let embedded = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .count();
    assert_eq!(
        memory::pending_migrations(&mut conn).await.unwrap().len(),
        embedded
    );
}
