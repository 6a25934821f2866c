-- Version 4: jobs created per statement (deferred job_id foreign keys), no
-- per-row status default on provisions.
\ir ../tables/97_hot_path.sql
