DROP INDEX messages_outbox_created_idx;
CREATE INDEX messages_provider_idx ON messages (provider, created_at DESC);
ALTER TABLE workflows ADD CONSTRAINT workflows_tenant_id_id_key UNIQUE (tenant_id, id);
ALTER TABLE leads ADD CONSTRAINT leads_tenant_id_id_key UNIQUE (tenant_id, id);
