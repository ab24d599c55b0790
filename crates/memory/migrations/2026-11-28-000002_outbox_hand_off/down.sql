ALTER TABLE outbox DROP COLUMN keep_published;
