-- The two-person rule compares people, not how they signed in: `requester` is the person behind a
-- change request ('user:<id>' for a session's user or an API key's owner, 'api_key:<id>' for a key
-- without an owner). Requests made before this column existed get their user where the name says it.
ALTER TABLE task_change_requests ADD COLUMN requester text;
UPDATE task_change_requests c SET requester = 'user:' || u.id FROM users u WHERE c.requested_by = 'user:' || u.username;
