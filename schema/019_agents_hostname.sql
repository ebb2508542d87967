-- The hosts list of the dashboard pages agents by hostname (keyset on (hostname, id)): with this
-- index a page costs the same at 50,000 agents as at 50.
CREATE INDEX agents_hostname ON agents (hostname, id);
-- The same for the hosts list (GET /api/v1/hosts pages by (hostname, id)): the first page reads 51
-- index entries instead of sorting every host.
CREATE INDEX hosts_hostname_id ON hosts (hostname, id);
