-- Version 7: request_ids, every request_id recorded (as a provision or a
-- rejection), filled from the history.
\ir ../tables/99_request_ids.sql
