// Diesel table definitions, written to match migrations/ exactly (a test
// checks each table's columns against the migrated database).

diesel::table! {
    tenants (id) {
        id -> Uuid,
        name -> Text,
        product -> Text,
        plan -> Text,
        subscription_status -> Text,
        stripe_customer_id -> Nullable<Text>,
        stripe_subscription_id -> Nullable<Text>,
        price_amount_cents -> Nullable<Int8>,
        subscription_updated_at -> Nullable<Timestamptz>,
        timezone -> Text,
        business_hours -> Jsonb,
        meeting_duration_minutes -> Int4,
        notification_email -> Nullable<Text>,
        from_name -> Nullable<Text>,
        reply_to -> Nullable<Text>,
        physical_address -> Nullable<Text>,
        calendar_id -> Nullable<Text>,
        webhook_url -> Nullable<Text>,
        webhook_secret -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        product -> Text,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    leads (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        name -> Text,
        email -> Text,
        phone -> Nullable<Text>,
        source -> Text,
        status -> Text,
        score -> Nullable<Int4>,
        qualification_reason -> Nullable<Text>,
        metadata -> Jsonb,
        first_action_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    workflows (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        lead_id -> Uuid,
        workflow_type -> Text,
        current_state -> Text,
        goal -> Text,
        allowed_agents -> Array<Text>,
        product -> Text,
        product_config -> Jsonb,
        step -> Int4,
        followup_attempts -> Int4,
        next_followup_at -> Nullable<Timestamptz>,
        last_output -> Nullable<Jsonb>,
        replied_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    workflow_transitions (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        workflow_id -> Uuid,
        from_state -> Text,
        to_state -> Text,
        event -> Nullable<Text>,
        step -> Int4,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    agent_logs (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        workflow_id -> Uuid,
        lead_id -> Uuid,
        agent_type -> Text,
        implementation -> Text,
        model -> Nullable<Text>,
        rule_version -> Nullable<Text>,
        input -> Jsonb,
        output -> Nullable<Jsonb>,
        duration_ms -> Int4,
        success -> Bool,
        fallback -> Bool,
        error -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    meetings (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        lead_id -> Uuid,
        workflow_id -> Nullable<Uuid>,
        starts_at -> Timestamptz,
        ends_at -> Timestamptz,
        status -> Text,
        calendar_provider -> Text,
        external_event_id -> Nullable<Text>,
        reminder_sent_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    messages (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        lead_id -> Uuid,
        workflow_id -> Nullable<Uuid>,
        direction -> Text,
        channel -> Text,
        kind -> Text,
        to_address -> Nullable<Text>,
        from_address -> Nullable<Text>,
        subject -> Nullable<Text>,
        content -> Text,
        html -> Nullable<Text>,
        step_key -> Nullable<Text>,
        status -> Text,
        provider -> Nullable<Text>,
        provider_message_id -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    pattern_insights (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        product -> Text,
        insight_type -> Text,
        data -> Jsonb,
        period_start -> Timestamptz,
        period_end -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    outbox (id) {
        id -> Uuid,
        tenant_id -> Nullable<Uuid>,
        event_type -> Text,
        envelope -> Jsonb,
        created_at -> Timestamptz,
        published_at -> Nullable<Timestamptz>,
        publish_attempts -> Int4,
        keep_published -> Bool,
    }
}

diesel::table! {
    action_logs (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        workflow_id -> Nullable<Uuid>,
        lead_id -> Nullable<Uuid>,
        action_type -> Text,
        provider -> Text,
        idempotency_key -> Nullable<Text>,
        request -> Jsonb,
        response -> Nullable<Jsonb>,
        status_code -> Nullable<Int4>,
        success -> Bool,
        error -> Nullable<Text>,
        duration_ms -> Int4,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    stripe_events (id) {
        id -> Text,
        event_type -> Text,
        tenant_id -> Nullable<Uuid>,
        stripe_created_at -> Timestamptz,
        processed_at -> Timestamptz,
    }
}

diesel::table! {
    resend_events (svix_id) {
        svix_id -> Text,
        event_type -> Text,
        email_id -> Nullable<Text>,
        outcome -> Text,
        received_at -> Timestamptz,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        name -> Text,
        key_hash -> Text,
        key_prefix -> Text,
        scope -> Text,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    suppressions (id) {
        id -> Uuid,
        tenant_id -> Nullable<Uuid>,
        email -> Text,
        reason -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    lead_idempotency_keys (tenant_id, key) {
        tenant_id -> Uuid,
        key -> Text,
        request_hash -> Text,
        response_status -> Nullable<Int4>,
        response_body -> Nullable<Jsonb>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    tenant_metrics (tenant_id) {
        tenant_id -> Uuid,
        leads -> Int8,
        qualified_leads -> Int8,
        disqualified_leads -> Int8,
        converted_leads -> Int8,
        score_sum -> Int8,
        scored_leads -> Int8,
        contacted_leads -> Int8,
        speed_to_lead_ms_sum -> Int8,
        replied_workflows -> Int8,
        total_workflows -> Int8,
        active_workflows -> Int8,
        completed_workflows -> Int8,
        escalated_workflows -> Int8,
        emails_sent -> Int8,
        followups_sent -> Int8,
        meetings_booked -> Int8,
        webhooks_fired -> Int8,
    }
}

// The table has no key (see its migration); diesel needs one named.
diesel::table! {
    tenant_metric_deltas (tenant_id) {
        tenant_id -> Uuid,
        leads -> Int8,
        qualified_leads -> Int8,
        disqualified_leads -> Int8,
        converted_leads -> Int8,
        score_sum -> Int8,
        scored_leads -> Int8,
        contacted_leads -> Int8,
        speed_to_lead_ms_sum -> Int8,
        replied_workflows -> Int8,
        total_workflows -> Int8,
        active_workflows -> Int8,
        completed_workflows -> Int8,
        escalated_workflows -> Int8,
        emails_sent -> Int8,
        followups_sent -> Int8,
        meetings_booked -> Int8,
        webhooks_fired -> Int8,
    }
}

diesel::joinable!(users -> tenants (tenant_id));
diesel::joinable!(leads -> tenants (tenant_id));
diesel::joinable!(workflows -> leads (lead_id));
diesel::joinable!(agent_logs -> workflows (workflow_id));
diesel::joinable!(meetings -> leads (lead_id));
diesel::joinable!(messages -> leads (lead_id));
diesel::joinable!(workflow_transitions -> workflows (workflow_id));

diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    users,
    leads,
    workflows,
    workflow_transitions,
    agent_logs,
    meetings,
    messages,
    pattern_insights,
    outbox,
    action_logs,
    stripe_events,
    api_keys,
    suppressions,
    lead_idempotency_keys,
);
