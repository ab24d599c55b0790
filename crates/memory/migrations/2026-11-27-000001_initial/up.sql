-- GrowthOS initial schema. Every tenant-owned table carries tenant_id and
-- its indexes lead with it, because every query filters by tenant.
--
-- Rows that belong to a lead or a workflow reference that parent by id and
-- carry its tenant_id (written from the parent, never from input). They do
-- not reference the tenant directly: every concurrent transaction of a busy
-- tenant would then lock the same tenant row (FOR KEY SHARE) for each row it
-- writes. The foreign keys reference primary keys alone so their checks
-- always plan as primary-key lookups, whatever the statistics say.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE tenants (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    product text NOT NULL CHECK (product IN ('saas-booker', 'saas-leadqualifier', 'saas-followup')),
    plan text NOT NULL DEFAULT 'standard',
    subscription_status text NOT NULL DEFAULT 'none'
        CHECK (subscription_status IN ('none', 'pending', 'incomplete', 'incomplete_expired',
            'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused')),
    stripe_customer_id text UNIQUE,
    stripe_subscription_id text UNIQUE,
    price_amount_cents bigint,
    subscription_updated_at timestamptz,
    timezone text NOT NULL DEFAULT 'UTC',
    business_hours jsonb NOT NULL DEFAULT
        '{"mon":[["09:00","17:00"]],"tue":[["09:00","17:00"]],"wed":[["09:00","17:00"]],"thu":[["09:00","17:00"]],"fri":[["09:00","17:00"]]}',
    meeting_duration_minutes integer NOT NULL DEFAULT 30 CHECK (meeting_duration_minutes BETWEEN 10 AND 240),
    notification_email text,
    from_name text,
    reply_to text,
    physical_address text,
    calendar_id text,
    webhook_url text,
    -- Signs outbound webhooks; gen_random_uuid draws from a strong random source.
    webhook_secret text NOT NULL DEFAULT replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenants_product_status_idx ON tenants (product, subscription_status);

CREATE TABLE users (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    product text NOT NULL,
    email text NOT NULL,
    password_hash text NOT NULL,
    role text NOT NULL DEFAULT 'owner' CHECK (role IN ('owner', 'member')),
    created_at timestamptz NOT NULL DEFAULT now()
);
-- One account per email per product: the same person may use two products.
CREATE UNIQUE INDEX users_product_email_key ON users (product, lower(email));
CREATE INDEX users_tenant_idx ON users (tenant_id);

CREATE TABLE leads (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name text NOT NULL,
    email text NOT NULL,
    phone text,
    source text NOT NULL,
    status text NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'qualified', 'unqualified', 'contacted', 'meeting_scheduled', 'converted', 'lost')),
    score integer CHECK (score BETWEEN 0 AND 100),
    qualification_reason text,
    metadata jsonb NOT NULL DEFAULT '{}',
    -- When the first real action (email or meeting) happened: speed-to-lead.
    first_action_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Tenant-scoped lookups by id plan on this index, not on a wider one.
    UNIQUE (tenant_id, id)
);
CREATE INDEX leads_tenant_created_idx ON leads (tenant_id, created_at DESC, id DESC);
-- Serves status-filtered pages in list order, without sorting.
CREATE INDEX leads_tenant_status_idx ON leads (tenant_id, status, created_at DESC, id DESC);

CREATE TABLE workflows (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL,
    lead_id uuid NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    workflow_type text NOT NULL,
    current_state text NOT NULL DEFAULT 'lead_received'
        CHECK (current_state IN ('lead_received', 'qualified', 'meeting_scheduled', 'following_up',
            'escalated', 'completed', 'failed')),
    goal text NOT NULL,
    allowed_agents text[] NOT NULL,
    product text NOT NULL,
    -- The product configuration as it was when the workflow started, so a
    -- config change never alters a running workflow.
    product_config jsonb NOT NULL,
    -- Incremented on every transition; events carry the step they were
    -- emitted at, so a duplicate delivery finds a different step and does nothing.
    step integer NOT NULL DEFAULT 0,
    followup_attempts integer NOT NULL DEFAULT 0,
    next_followup_at timestamptz,
    last_output jsonb,
    replied_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Tenant-scoped lookups by id plan on this index, not on a wider one.
    UNIQUE (tenant_id, id)
);
CREATE INDEX workflows_tenant_lead_idx ON workflows (tenant_id, lead_id);
CREATE INDEX workflows_active_idx ON workflows (current_state, updated_at)
    WHERE current_state NOT IN ('escalated', 'completed', 'failed');
CREATE INDEX workflows_followup_due_idx ON workflows (next_followup_at)
    WHERE current_state = 'following_up';

CREATE TABLE workflow_transitions (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL,
    workflow_id uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    from_state text NOT NULL,
    to_state text NOT NULL,
    event text,
    step integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workflow_id, step)
);
CREATE INDEX workflow_transitions_tenant_idx ON workflow_transitions (tenant_id, workflow_id);

-- lead_id is the workflow's lead, copied for lookups by lead.
CREATE TABLE agent_logs (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL,
    workflow_id uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    lead_id uuid NOT NULL,
    agent_type text NOT NULL CHECK (agent_type IN ('qualifier', 'scheduler', 'followup')),
    implementation text NOT NULL CHECK (implementation IN ('llm', 'heuristic')),
    model text,
    rule_version text,
    input jsonb NOT NULL,
    output jsonb,
    duration_ms integer NOT NULL,
    success boolean NOT NULL,
    fallback boolean NOT NULL DEFAULT false,
    error text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_logs_tenant_workflow_idx ON agent_logs (tenant_id, workflow_id, created_at);

CREATE TABLE meetings (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL,
    lead_id uuid NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    workflow_id uuid REFERENCES workflows (id) ON DELETE SET NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'confirmed' CHECK (status IN ('confirmed', 'cancelled', 'completed')),
    calendar_provider text NOT NULL,
    external_event_id text,
    reminder_sent_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    -- A tenant cannot be in two meetings at once: the database refuses the
    -- second booking, whatever the application raced.
    EXCLUDE USING gist (tenant_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
        WHERE (status <> 'cancelled')
);
CREATE INDEX meetings_tenant_starts_idx ON meetings (tenant_id, starts_at);
CREATE UNIQUE INDEX meetings_workflow_key ON meetings (workflow_id) WHERE status <> 'cancelled';

CREATE TABLE messages (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL,
    lead_id uuid NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    workflow_id uuid REFERENCES workflows (id) ON DELETE SET NULL,
    direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    channel text NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'sms', 'note')),
    kind text NOT NULL DEFAULT 'marketing' CHECK (kind IN ('marketing', 'transactional', 'reply', 'notification')),
    to_address text,
    from_address text,
    subject text,
    content text NOT NULL,
    html text,
    -- (workflow_id, step_key) is the idempotency key of an outbound action.
    step_key text,
    status text NOT NULL DEFAULT 'sent' CHECK (status IN ('sent', 'stored', 'received', 'failed')),
    provider text,
    provider_message_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workflow_id, step_key)
);
CREATE INDEX messages_tenant_lead_idx ON messages (tenant_id, lead_id, created_at);
CREATE INDEX messages_provider_idx ON messages (provider, created_at DESC);

CREATE TABLE pattern_insights (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    product text NOT NULL,
    insight_type text NOT NULL,
    data jsonb NOT NULL,
    period_start timestamptz NOT NULL,
    period_end timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, insight_type, period_start)
);

-- Events in transit, not history: no foreign key, so writing one never
-- locks its tenant.
CREATE TABLE outbox (
    id uuid PRIMARY KEY,
    tenant_id uuid,
    event_type text NOT NULL,
    envelope jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    publish_attempts integer NOT NULL DEFAULT 0
);
CREATE INDEX outbox_unpublished_idx ON outbox (created_at) WHERE published_at IS NULL;
CREATE INDEX outbox_published_idx ON outbox (published_at) WHERE published_at IS NOT NULL;

-- A call made for a lead references the lead; a tenant-level call (billing)
-- has none. tenant_id is not a foreign key, so logging never locks the
-- tenant row.
CREATE TABLE action_logs (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL,
    workflow_id uuid REFERENCES workflows (id) ON DELETE SET NULL,
    lead_id uuid REFERENCES leads (id) ON DELETE CASCADE,
    action_type text NOT NULL,
    provider text NOT NULL,
    idempotency_key text,
    request jsonb NOT NULL,
    response jsonb,
    status_code integer,
    success boolean NOT NULL,
    error text,
    duration_ms integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX action_logs_tenant_idx ON action_logs (tenant_id, created_at);
CREATE INDEX action_logs_workflow_idx ON action_logs (workflow_id);

CREATE TABLE stripe_events (
    id text PRIMARY KEY,
    event_type text NOT NULL,
    tenant_id uuid REFERENCES tenants (id) ON DELETE SET NULL,
    stripe_created_at timestamptz NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name text NOT NULL,
    key_hash text NOT NULL UNIQUE,
    key_prefix text NOT NULL,
    scope text NOT NULL DEFAULT 'full' CHECK (scope IN ('full', 'leads:create')),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id);

-- tenant_id NULL means every tenant (a hard bounce or complaint).
CREATE TABLE suppressions (
    id uuid PRIMARY KEY,
    tenant_id uuid REFERENCES tenants (id) ON DELETE CASCADE,
    email text NOT NULL,
    reason text NOT NULL CHECK (reason IN ('unsubscribed', 'bounced', 'complained')),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (tenant_id, email, reason)
);
CREATE INDEX suppressions_email_idx ON suppressions (lower(email));

CREATE TABLE lead_idempotency_keys (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key text NOT NULL,
    request_hash text NOT NULL,
    response_status integer,
    response_body jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX lead_idempotency_keys_created_idx ON lead_idempotency_keys (created_at);
