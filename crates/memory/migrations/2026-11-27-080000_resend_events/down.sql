UPDATE messages SET status = 'received' WHERE status = 'auto_reply';
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
    CHECK (status IN ('sent', 'stored', 'received', 'failed'));
DROP INDEX leads_email_idx;
DROP TABLE resend_events;
