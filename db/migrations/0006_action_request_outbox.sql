-- Version 6: the request outbox of any component (action_request_outbox),
-- published to the actions topic; its rows can be parked too.
\ir ../tables/99_action_request_outbox.sql
