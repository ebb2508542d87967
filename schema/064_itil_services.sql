-- Availability (docs/itil.md): a service groups hosts and checks (every listed check on every listed
-- host); its availability per day, week and month comes from the checks' `<key>.status` history.

CREATE TABLE itil_services (
  id           uuid PRIMARY KEY,
  name         text NOT NULL UNIQUE,
  description  text NOT NULL DEFAULT '',
  host_ids     uuid[] NOT NULL CHECK (cardinality(host_ids) > 0),
  -- item keys: the status of check `k` on a host is its metric `k.status`
  check_keys   text[] NOT NULL CHECK (cardinality(check_keys) > 0),
  -- 'all': down while any check on any host is down; 'any': up while one of them is up (redundant hosts)
  up_when      text NOT NULL DEFAULT 'all' CHECK (up_when IN ('all', 'any')),
  -- percent of the known time the service must be up, e.g. 99.9
  sla_target   numeric(6,3) NOT NULL CHECK (sla_target > 0 AND sla_target <= 100),
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  created_by   text NOT NULL,
  updated_at   timestamptz(3) NOT NULL DEFAULT now(),
  version      integer NOT NULL DEFAULT 1
);
CREATE INDEX itil_services_hosts ON itil_services USING gin (host_ids);
