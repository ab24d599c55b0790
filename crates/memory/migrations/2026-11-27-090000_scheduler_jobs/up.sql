-- Indexes the scheduler jobs read through.

-- meeting_reminders: confirmed meetings still waiting for their reminder,
-- by start time. Sent reminders leave the index.
CREATE INDEX meetings_reminder_due_idx ON meetings (starts_at)
    WHERE status = 'confirmed' AND reminder_sent_at IS NULL;

-- insights: the leads' replies by day. Inbound messages are few next to
-- outbound ones, so the partial index costs the hot path nothing.
CREATE INDEX messages_inbound_created_idx ON messages (created_at)
    WHERE direction = 'inbound';

-- GET /internal/experiment-stats sums one insight type per product.
CREATE INDEX pattern_insights_type_product_idx ON pattern_insights (insight_type, product);
