-- Index entries every lead pays for and no query needs.
--
-- (tenant_id, id) on leads and workflows duplicated the primary key: a
-- tenant-scoped lookup by id plans on the primary key (one row by id, then
-- the tenant checked), and nothing references the pair. Each cost an index
-- entry on every insert and on every update of the row (lead and workflow
-- updates change indexed columns, so none is a HOT update).
ALTER TABLE leads DROP CONSTRAINT leads_tenant_id_id_key;
ALTER TABLE workflows DROP CONSTRAINT workflows_tenant_id_id_key;

-- GET /dev/outbox lists the emails the outbox mailer stored, newest first;
-- only those rows need the index, not every email a provider sent.
DROP INDEX messages_provider_idx;
CREATE INDEX messages_outbox_created_idx ON messages (created_at DESC) WHERE provider = 'outbox';
