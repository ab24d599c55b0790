-- Resend webhook deliveries already handled, by Svix message id (the same
-- on every retry of a delivery): a redelivery finds its id here and
-- changes nothing. No foreign key: recording one never locks a tenant.
CREATE TABLE resend_events (
    svix_id text PRIMARY KEY,
    event_type text NOT NULL,
    -- Resend's email id (`data.email_id`), for tracing an event to its email.
    email_id text,
    -- What the event did: suppressed, ignored, replied, auto_reply, unmatched, recorded.
    outcome text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
-- Svix stops retrying after about a day; old ids can be purged by age.
CREATE INDEX resend_events_received_idx ON resend_events (received_at);

-- Inbound mail (email.received) finds its lead by the sender's address.
CREATE INDEX leads_email_idx ON leads (lower(email));

-- An automatic answer (out of office) is stored as the lead's message but
-- is not a reply: it pauses follow-ups and does not count in replyRate.
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
    CHECK (status IN ('sent', 'stored', 'received', 'failed', 'auto_reply'));
