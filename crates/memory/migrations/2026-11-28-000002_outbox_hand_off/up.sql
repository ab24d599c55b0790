-- A published event leaves the outbox: deleting the row costs a mark on
-- the tuple, where stamping it published wrote a new tuple with two index
-- entries and left a row for the purge to delete a day later. Three events
-- per lead made that the outbox's largest cost.
--
-- The exception is an event enqueued once per subject (a follow-up due, a
-- meeting reminder): its row is what tells the next job run that the event
-- was already enqueued, so it is kept, stamped published, until the purge.
ALTER TABLE outbox ADD COLUMN keep_published boolean NOT NULL DEFAULT false;
