-- Version 3: job.claimed_date, when an executor last claimed the job.
\ir ../tables/96_job_claimed.sql
