-- agent-upgrade tasks: the agents fetch the bundle this server serves and restart on it (docs/agent.md).
ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check CHECK (kind IN ('shell', 'argv', 'script', 'file', 'agent-upgrade'));
