//! The metric counters the triggers keep agree with a full recount of the
//! tables, through inserts, updates, deletes and folding.

use diesel::sql_types::{BigInt, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};
use memory::repo::metrics::{self, Counters};
use test_support::TestDatabase;
use uuid::Uuid;

/// The same figures, counted from the rows themselves.
async fn recount(conn: &mut memory::AsyncPgConnection, t: Uuid) -> Counters {
    diesel::sql_query(
        "SELECT
            (SELECT count(*) FROM leads WHERE tenant_id = $1) AS leads,
            (SELECT count(*) FROM leads WHERE tenant_id = $1 AND score IS NOT NULL AND status <> 'unqualified') AS qualified_leads,
            (SELECT count(*) FROM leads WHERE tenant_id = $1 AND status = 'unqualified') AS disqualified_leads,
            (SELECT count(*) FROM leads WHERE tenant_id = $1 AND status = 'converted') AS converted_leads,
            (SELECT coalesce(sum(score), 0)::bigint FROM leads WHERE tenant_id = $1) AS score_sum,
            (SELECT count(score) FROM leads WHERE tenant_id = $1) AS scored_leads,
            (SELECT count(first_action_at) FROM leads WHERE tenant_id = $1) AS contacted_leads,
            (SELECT coalesce(sum(round(extract(epoch FROM first_action_at - created_at) * 1000)), 0)::bigint
                FROM leads WHERE tenant_id = $1) AS speed_to_lead_ms_sum,
            (SELECT count(replied_at) FROM workflows WHERE tenant_id = $1) AS replied_workflows,
            (SELECT count(*) FROM workflows WHERE tenant_id = $1) AS total_workflows,
            (SELECT count(*) FROM workflows WHERE tenant_id = $1 AND current_state NOT IN ('escalated', 'completed', 'failed')) AS active_workflows,
            (SELECT count(*) FROM workflows WHERE tenant_id = $1 AND current_state = 'completed') AS completed_workflows,
            (SELECT count(*) FROM workflows WHERE tenant_id = $1 AND current_state = 'escalated') AS escalated_workflows,
            (SELECT count(*) FROM messages WHERE tenant_id = $1 AND direction = 'outbound' AND channel = 'email'
                AND kind IN ('marketing', 'transactional') AND status IN ('sent', 'stored')) AS emails_sent,
            (SELECT count(*) FROM messages WHERE tenant_id = $1 AND direction = 'outbound' AND kind = 'marketing'
                AND status IN ('sent', 'stored')) AS followups_sent,
            (SELECT count(*) FROM meetings WHERE tenant_id = $1 AND status <> 'cancelled') AS meetings_booked,
            (SELECT count(*) FROM action_logs WHERE tenant_id = $1 AND action_type = 'webhook' AND success) AS webhooks_fired",
    )
    .bind::<SqlUuid, _>(t)
    .get_result(conn)
    .await
    .unwrap()
}

async fn count_deltas(conn: &mut memory::AsyncPgConnection) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let deltas: N = diesel::sql_query("SELECT count(*) AS n FROM tenant_metric_deltas")
        .get_result(conn)
        .await
        .unwrap();
    deltas.n
}

fn same(a: &Counters, b: &Counters) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

#[tokio::test(flavor = "multi_thread")]
async fn counters_match_a_recount_through_every_kind_of_change() {
    let db = TestDatabase::new().await.unwrap();
    let mut conn = memory::AsyncPgConnection::establish(&db.url).await.unwrap();
    let (t, other) = (Uuid::new_v4(), Uuid::new_v4());
    conn.batch_execute(&format!(
        "INSERT INTO tenants (id, name, product) VALUES ('{t}', 'T', 'saas-booker'), ('{other}', 'O', 'saas-booker');
         INSERT INTO leads (id, tenant_id, name, email, source, status, score, first_action_at, created_at)
            SELECT gen_random_uuid(), tn, 'L' || g, 'l' || g || '@x.io', 'web',
                (ARRAY['new','qualified','unqualified','contacted'])[1 + g % 4],
                CASE WHEN g % 3 = 0 THEN NULL ELSE g % 100 END,
                CASE WHEN g % 2 = 0 THEN now() END, now() - g * interval '1 second'
            FROM generate_series(1, 40) g, (VALUES ('{t}'::uuid), ('{other}'::uuid)) v(tn);
         INSERT INTO workflows (id, tenant_id, lead_id, workflow_type, current_state, goal, allowed_agents, product, product_config)
            SELECT gen_random_uuid(), tenant_id, id, 'lead_flow',
                (ARRAY['lead_received','following_up','completed','escalated'])[1 + (score % 4)], 'book_meeting',
                ARRAY['qualifier'], 'saas-booker', '{{}}'
            FROM leads WHERE score IS NOT NULL;
         INSERT INTO messages (id, tenant_id, lead_id, direction, kind, content, status)
            SELECT gen_random_uuid(), tenant_id, id, 'outbound', (ARRAY['marketing','transactional','notification'])[1 + score % 3], 'hi', 'sent'
            FROM leads WHERE score IS NOT NULL;
         INSERT INTO meetings (id, tenant_id, lead_id, starts_at, ends_at, calendar_provider)
            SELECT gen_random_uuid(), tenant_id, id, now() + (row_number() OVER ()) * interval '1 hour',
                now() + (row_number() OVER ()) * interval '1 hour' + interval '30 minutes', 'internal'
            FROM leads WHERE status = 'contacted';
         INSERT INTO action_logs (id, tenant_id, action_type, provider, request, success, duration_ms)
            VALUES (gen_random_uuid(), '{t}', 'webhook', 'webhook', '{{}}', true, 3),
                   (gen_random_uuid(), '{t}', 'webhook', 'webhook', '{{}}', false, 3),
                   (gen_random_uuid(), '{t}', 'email', 'resend', '{{}}', true, 3);"
    ))
    .await
    .unwrap();
    let before = recount(&mut conn, t).await;
    assert!(before.leads == 40 && before.meetings_booked > 0 && before.webhooks_fired == 1);
    assert!(same(
        &metrics::for_tenant(&mut conn, t).await.unwrap().counters,
        &before
    ));

    // Updates in every counted column, deletes, a cancelled meeting.
    conn.batch_execute(&format!(
        "UPDATE leads SET status = 'converted' WHERE tenant_id = '{t}' AND status = 'qualified';
         UPDATE leads SET score = 90, first_action_at = now() WHERE tenant_id = '{t}' AND score IS NULL;
         UPDATE workflows SET current_state = 'completed', replied_at = now() WHERE tenant_id = '{t}' AND current_state = 'following_up';
         UPDATE messages SET status = 'failed' WHERE tenant_id = '{t}' AND kind = 'transactional';
         UPDATE meetings SET status = 'cancelled' WHERE id IN (SELECT id FROM meetings WHERE tenant_id = '{t}' LIMIT 1);
         DELETE FROM leads WHERE id IN (SELECT id FROM leads WHERE tenant_id = '{t}' AND status = 'unqualified' LIMIT 3);"
    ))
    .await
    .unwrap();
    let after = recount(&mut conn, t).await;
    assert!(!same(&before, &after));
    assert!(same(
        &metrics::for_tenant(&mut conn, t).await.unwrap().counters,
        &after
    ));

    // An update of columns no counter reads records no delta.
    let deltas = count_deltas(&mut conn).await;
    conn.batch_execute(&format!(
        "UPDATE leads SET metadata = '{{\"seen\": true}}' WHERE tenant_id = '{t}';
         UPDATE workflows SET step = step + 1 WHERE tenant_id = '{t}';"
    ))
    .await
    .unwrap();
    assert_eq!(count_deltas(&mut conn).await, deltas);

    // Folding moves deltas into counters without changing any reading.
    let folded = metrics::fold_deltas(&mut conn, 7).await.unwrap();
    assert_eq!(folded, 7);
    assert!(same(
        &metrics::for_tenant(&mut conn, t).await.unwrap().counters,
        &after
    ));
    while metrics::fold_deltas(&mut conn, 1000).await.unwrap() > 0 {}
    assert_eq!(count_deltas(&mut conn).await, 0);
    assert!(same(
        &metrics::for_tenant(&mut conn, t).await.unwrap().counters,
        &after
    ));
    assert!(same(
        &metrics::for_tenant(&mut conn, other)
            .await
            .unwrap()
            .counters,
        &recount(&mut conn, other).await
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_median_speed_to_lead_is_the_middle_value() {
    let db = TestDatabase::new().await.unwrap();
    let mut conn = memory::AsyncPgConnection::establish(&db.url).await.unwrap();
    let t = Uuid::new_v4();
    conn.batch_execute(&format!(
        "INSERT INTO tenants (id, name, product) VALUES ('{t}', 'T', 'saas-booker');
         INSERT INTO leads (id, tenant_id, name, email, source, first_action_at, created_at)
         SELECT gen_random_uuid(), '{t}', 'L', 'l@x.io', 'web', now() + ms * interval '1 millisecond', now()
         FROM unnest(ARRAY[100, 700, 300, 200]) ms;
         INSERT INTO leads (id, tenant_id, name, email, source) VALUES (gen_random_uuid(), '{t}', 'N', 'n@x.io', 'web');"
    ))
    .await
    .unwrap();
    let m = metrics::for_tenant(&mut conn, t).await.unwrap();
    assert_eq!(
        m.median_speed_to_lead_ms.map(f64::round),
        Some(250.0),
        "mean of 200 and 300"
    );
    conn.batch_execute(&format!(
        "INSERT INTO leads (id, tenant_id, name, email, source, first_action_at, created_at)
         VALUES (gen_random_uuid(), '{t}', 'L', 'l@x.io', 'web', now() + interval '5 seconds', now())"
    ))
    .await
    .unwrap();
    let m = metrics::for_tenant(&mut conn, t).await.unwrap();
    assert_eq!(m.median_speed_to_lead_ms.map(f64::round), Some(300.0));
}
