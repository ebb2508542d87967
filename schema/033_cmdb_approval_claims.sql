-- The approval queue also holds reports that may not change an asset by themselves: a match against an
-- asset linked to another agent, and anything a pending agent reports. `queue_reasons` says why an entry
-- waits; `proposed_asset_id` is the asset the report matched (approving links the agent to it).
ALTER TABLE asset_approvals
  ADD COLUMN queue_reasons text[] NOT NULL DEFAULT '{no_match}'
    CHECK (cardinality(queue_reasons) > 0 AND queue_reasons <@ ARRAY['no_match', 'agent_pending', 'claims_asset_of_other_agent']),
  ADD COLUMN proposed_asset_id uuid REFERENCES assets (id);
