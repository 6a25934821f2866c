-- When an executor last claimed the job (job_claim): the "job claimed" hop of
-- the pipeline's latency (bench/latency.py, docs/benchmarks.md).
ALTER TABLE job ADD COLUMN claimed_date TIMESTAMPTZ;

COMMENT ON COLUMN job.claimed_date IS 'when an executor last claimed the job';
