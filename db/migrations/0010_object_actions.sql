-- Version 10: host and contact update/delete, child job roll-up, "in use" indexes.
\ir ../tables/99_object_actions.sql
