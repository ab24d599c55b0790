-- Counters behind GET /metrics, kept exact by triggers in the same
-- transaction as the rows they count, so reading them costs the same for
-- a tenant with ten leads or a million.
--
-- Triggers only INSERT delta rows (append-only, no row is updated), so
-- concurrent transactions of one tenant never wait on each other; a
-- scheduler job folds the deltas into tenant_metrics every few seconds.
-- A reading is tenant_metrics plus that tenant's deltas. The deltas table
-- has no key and no index: every lead writes several deltas, and the table
-- only ever holds the few seconds since the last fold.
CREATE TABLE tenant_metrics (
    tenant_id uuid PRIMARY KEY,
    leads bigint NOT NULL DEFAULT 0,
    qualified_leads bigint NOT NULL DEFAULT 0,
    disqualified_leads bigint NOT NULL DEFAULT 0,
    converted_leads bigint NOT NULL DEFAULT 0,
    score_sum bigint NOT NULL DEFAULT 0,
    scored_leads bigint NOT NULL DEFAULT 0,
    contacted_leads bigint NOT NULL DEFAULT 0,
    -- Sum of (first action - arrival) in ms over contacted leads.
    speed_to_lead_ms_sum bigint NOT NULL DEFAULT 0,
    replied_workflows bigint NOT NULL DEFAULT 0,
    total_workflows bigint NOT NULL DEFAULT 0,
    active_workflows bigint NOT NULL DEFAULT 0,
    completed_workflows bigint NOT NULL DEFAULT 0,
    escalated_workflows bigint NOT NULL DEFAULT 0,
    emails_sent bigint NOT NULL DEFAULT 0,
    followups_sent bigint NOT NULL DEFAULT 0,
    meetings_booked bigint NOT NULL DEFAULT 0,
    webhooks_fired bigint NOT NULL DEFAULT 0
);

CREATE TABLE tenant_metric_deltas (LIKE tenant_metrics INCLUDING DEFAULTS);

-- The median speed-to-lead reads this index from the middle.
CREATE INDEX leads_speed_to_lead_idx ON leads (tenant_id, (first_action_at - created_at))
    WHERE first_action_at IS NOT NULL;

-- What one row contributes; a trigger records NEW's minus OLD's.
CREATE FUNCTION metrics_on_lead() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d bigint[] := ARRAY[0, 0, 0, 0, 0, 0, 0, 0];
    t uuid;
BEGIN
    IF TG_OP <> 'DELETE' THEN
        t := NEW.tenant_id;
        d := ARRAY[1, (NEW.score IS NOT NULL AND NEW.status <> 'unqualified')::int,
            (NEW.status = 'unqualified')::int, (NEW.status = 'converted')::int,
            coalesce(NEW.score, 0), (NEW.score IS NOT NULL)::int, (NEW.first_action_at IS NOT NULL)::int,
            coalesce(round(extract(epoch FROM NEW.first_action_at - NEW.created_at) * 1000), 0)];
    END IF;
    IF TG_OP <> 'INSERT' THEN
        t := OLD.tenant_id;
        d := ARRAY[d[1] - 1, d[2] - (OLD.score IS NOT NULL AND OLD.status <> 'unqualified')::int,
            d[3] - (OLD.status = 'unqualified')::int, d[4] - (OLD.status = 'converted')::int,
            d[5] - coalesce(OLD.score, 0), d[6] - (OLD.score IS NOT NULL)::int,
            d[7] - (OLD.first_action_at IS NOT NULL)::int,
            d[8] - coalesce(round(extract(epoch FROM OLD.first_action_at - OLD.created_at) * 1000), 0)];
    END IF;
    IF d <> ARRAY[0, 0, 0, 0, 0, 0, 0, 0]::bigint[] THEN
        INSERT INTO tenant_metric_deltas (tenant_id, leads, qualified_leads, disqualified_leads,
            converted_leads, score_sum, scored_leads, contacted_leads, speed_to_lead_ms_sum)
        VALUES (t, d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8]);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER leads_metrics AFTER INSERT OR DELETE OR UPDATE OF status, score, first_action_at
    ON leads FOR EACH ROW EXECUTE FUNCTION metrics_on_lead();

CREATE FUNCTION metrics_on_workflow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d bigint[] := ARRAY[0, 0, 0, 0, 0];
    t uuid;
BEGIN
    IF TG_OP <> 'DELETE' THEN
        t := NEW.tenant_id;
        d := ARRAY[1, (NEW.current_state NOT IN ('escalated', 'completed', 'failed'))::int,
            (NEW.current_state = 'completed')::int, (NEW.current_state = 'escalated')::int,
            (NEW.replied_at IS NOT NULL)::int];
    END IF;
    IF TG_OP <> 'INSERT' THEN
        t := OLD.tenant_id;
        d := ARRAY[d[1] - 1, d[2] - (OLD.current_state NOT IN ('escalated', 'completed', 'failed'))::int,
            d[3] - (OLD.current_state = 'completed')::int, d[4] - (OLD.current_state = 'escalated')::int,
            d[5] - (OLD.replied_at IS NOT NULL)::int];
    END IF;
    IF d <> ARRAY[0, 0, 0, 0, 0]::bigint[] THEN
        INSERT INTO tenant_metric_deltas (tenant_id, total_workflows, active_workflows,
            completed_workflows, escalated_workflows, replied_workflows)
        VALUES (t, d[1], d[2], d[3], d[4], d[5]);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER workflows_metrics AFTER INSERT OR DELETE OR UPDATE OF current_state, replied_at
    ON workflows FOR EACH ROW EXECUTE FUNCTION metrics_on_workflow();

-- Emails to the lead (not notifications to the tenant) that left or were
-- stored by the outbox mailer.
CREATE FUNCTION metrics_on_message() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d bigint[] := ARRAY[0, 0];
    t uuid;
BEGIN
    IF TG_OP <> 'DELETE' THEN
        t := NEW.tenant_id;
        d := ARRAY[(NEW.direction = 'outbound' AND NEW.channel = 'email'
                AND NEW.kind IN ('marketing', 'transactional') AND NEW.status IN ('sent', 'stored'))::int,
            (NEW.direction = 'outbound' AND NEW.kind = 'marketing' AND NEW.status IN ('sent', 'stored'))::int];
    END IF;
    IF TG_OP <> 'INSERT' THEN
        t := OLD.tenant_id;
        d := ARRAY[d[1] - (OLD.direction = 'outbound' AND OLD.channel = 'email'
                AND OLD.kind IN ('marketing', 'transactional') AND OLD.status IN ('sent', 'stored'))::int,
            d[2] - (OLD.direction = 'outbound' AND OLD.kind = 'marketing' AND OLD.status IN ('sent', 'stored'))::int];
    END IF;
    IF d <> ARRAY[0, 0]::bigint[] THEN
        INSERT INTO tenant_metric_deltas (tenant_id, emails_sent, followups_sent) VALUES (t, d[1], d[2]);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER messages_metrics AFTER INSERT OR DELETE OR UPDATE OF status
    ON messages FOR EACH ROW EXECUTE FUNCTION metrics_on_message();

CREATE FUNCTION metrics_on_meeting() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d bigint := 0;
    t uuid;
BEGIN
    IF TG_OP <> 'DELETE' THEN
        t := NEW.tenant_id;
        d := (NEW.status <> 'cancelled')::int;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        t := OLD.tenant_id;
        d := d - (OLD.status <> 'cancelled')::int;
    END IF;
    IF d <> 0 THEN
        INSERT INTO tenant_metric_deltas (tenant_id, meetings_booked) VALUES (t, d);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER meetings_metrics AFTER INSERT OR DELETE OR UPDATE OF status
    ON meetings FOR EACH ROW EXECUTE FUNCTION metrics_on_meeting();

-- Action logs are never updated; only successful webhook calls count.
CREATE FUNCTION metrics_on_webhook() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tenant_metric_deltas (tenant_id, webhooks_fired) VALUES (NEW.tenant_id, 1);
    RETURN NULL;
END $$;
CREATE TRIGGER action_logs_metrics AFTER INSERT ON action_logs FOR EACH ROW
    WHEN (NEW.action_type = 'webhook' AND NEW.success) EXECUTE FUNCTION metrics_on_webhook();

-- Counters for the rows that exist already.
INSERT INTO tenant_metrics
SELECT t.id,
    coalesce(l.leads, 0), coalesce(l.qualified, 0), coalesce(l.disqualified, 0), coalesce(l.converted, 0),
    coalesce(l.score_sum, 0), coalesce(l.scored, 0), coalesce(l.contacted, 0), coalesce(l.speed_sum, 0),
    coalesce(w.replied, 0), coalesce(w.total, 0), coalesce(w.active, 0), coalesce(w.completed, 0),
    coalesce(w.escalated, 0), coalesce(m.emails, 0), coalesce(m.followups, 0),
    coalesce(mt.booked, 0), coalesce(a.webhooks, 0)
FROM tenants t
LEFT JOIN (SELECT tenant_id, count(*) AS leads,
        count(*) FILTER (WHERE score IS NOT NULL AND status <> 'unqualified') AS qualified,
        count(*) FILTER (WHERE status = 'unqualified') AS disqualified,
        count(*) FILTER (WHERE status = 'converted') AS converted,
        sum(coalesce(score, 0)) AS score_sum, count(score) AS scored,
        count(first_action_at) AS contacted,
        sum(round(extract(epoch FROM first_action_at - created_at) * 1000))::bigint AS speed_sum
    FROM leads GROUP BY tenant_id) l ON l.tenant_id = t.id
LEFT JOIN (SELECT tenant_id, count(replied_at) AS replied, count(*) AS total,
        count(*) FILTER (WHERE current_state NOT IN ('escalated', 'completed', 'failed')) AS active,
        count(*) FILTER (WHERE current_state = 'completed') AS completed,
        count(*) FILTER (WHERE current_state = 'escalated') AS escalated
    FROM workflows GROUP BY tenant_id) w ON w.tenant_id = t.id
LEFT JOIN (SELECT tenant_id,
        count(*) FILTER (WHERE direction = 'outbound' AND channel = 'email'
            AND kind IN ('marketing', 'transactional') AND status IN ('sent', 'stored')) AS emails,
        count(*) FILTER (WHERE direction = 'outbound' AND kind = 'marketing'
            AND status IN ('sent', 'stored')) AS followups
    FROM messages GROUP BY tenant_id) m ON m.tenant_id = t.id
LEFT JOIN (SELECT tenant_id, count(*) AS booked FROM meetings WHERE status <> 'cancelled'
    GROUP BY tenant_id) mt ON mt.tenant_id = t.id
LEFT JOIN (SELECT tenant_id, count(*) AS webhooks FROM action_logs
    WHERE action_type = 'webhook' AND success GROUP BY tenant_id) a ON a.tenant_id = t.id;
