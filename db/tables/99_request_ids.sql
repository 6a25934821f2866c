-- The hot path (issue 13): one index for "was this request_id recorded?".
--
-- request_id is the idempotency key of a request across every provision table
-- and the rejections. Looking it up through class.provision probes all nine
-- children (an Append of ten index scans, about 50 us a row); this table answers
-- with one primary-key probe, and inserting into it is the duplicate check: a
-- concurrent insert of the same request_id waits for the first to commit, then
-- finds it (which the per-request advisory lock did before).
CREATE TABLE request_ids (
    request_id    UUID NOT NULL PRIMARY KEY,
    recorded_as   TEXT NOT NULL,       -- the provision table, or 'rejection'
    created_date  TIMESTAMPTZ NOT NULL DEFAULT now()
);

INSERT INTO request_ids (request_id, recorded_as)
SELECT p.request_id, p.tableoid::REGCLASS::TEXT FROM class.provision p
ON CONFLICT DO NOTHING;
INSERT INTO request_ids (request_id, recorded_as)
SELECT r.request_id, 'rejection' FROM provision_rejection r
ON CONFLICT DO NOTHING;
