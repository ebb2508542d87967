-- Asset search (q=) matches substrings of search_text (name, tag, serial, hostname, UUID, IPs, MACs):
-- a trigram index answers LIKE '%term%' for terms of 3 characters or more without scanning every asset.
-- pg_trgm is a trusted extension (Postgres 13+): a database owner may create it; PGlite loads it at open.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX assets_search_trgm ON assets USING gin (search_text gin_trgm_ops) WHERE deleted_at IS NULL;
