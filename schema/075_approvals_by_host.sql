-- A host page asks the approval queue for its own entry (GET /api/v1/approvals?host_id=): found by
-- index however long the queue.
CREATE INDEX asset_approvals_host ON asset_approvals (host_id, created_at, id) WHERE host_id IS NOT NULL;
