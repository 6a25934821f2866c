-- The relay benchmark's outbox: rows shaped like the outcomes the executor
-- writes (one plan id, a small result_data), inserted in one statement, with
-- message keys spread over KEYS (1,000) order ids (UUID text, as the real keys are).

-- name: insert_outbox
INSERT INTO outbox (request_id, provision_id, action, status, order_item_plan_ids,
                    result_data, message_key)
SELECT gen_random_uuid(),
       gen_random_uuid(),
       'provision_domain',
       'completed',
       ARRAY[gen_random_uuid()],
       jsonb_build_object('roid', 'BENCH' || lpad(i::TEXT, 8, '0') || '-SANDBOX',
                          'expiry_date', '2027-11-26T00:00:00+00:00'),
       md5((i %% %(keys)s)::TEXT)::UUID::TEXT
  FROM generate_series(1, %(rows)s) AS i

-- name: analyze
-- After the bulk insert (not timed): the statistics autovacuum would have on a
-- live outbox, so fetch_unsent is planned as it would be there.
ANALYZE outbox

-- name: sent_counts
-- How many rows the relay marked sent, and how many are left.
SELECT count(*) FILTER (WHERE sent_date IS NOT NULL) AS sent,
       count(*) FILTER (WHERE sent_date IS NULL) AS unsent
  FROM outbox
