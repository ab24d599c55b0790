DROP TABLE lead_idempotency_keys, suppressions, api_keys, stripe_events, action_logs, outbox,
    pattern_insights, messages, meetings, agent_logs, workflow_transitions, workflows, leads,
    users, tenants;
