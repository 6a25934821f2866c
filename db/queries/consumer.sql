-- Named queries of the consumer loop (consumers/checkpoints.py, consumers/dead_letters.py).

-- name: inflight_of
-- The in-flight rows of these partitions (%(topics)s[i], %(partitions)s[i]).
SELECT i.topic, i.partition, i.first_offset, i.last_offset, i.crashes, i.suspect_until, i.owner
  FROM consumer_inflight i
  JOIN unnest(%(topics)s::TEXT[], %(partitions)s::INT[]) AS k(topic, partition)
       ON k.topic = i.topic AND k.partition = i.partition
 WHERE i.group_id = %(group_id)s

-- name: inflight_begin
-- Before handling: the offsets about to be in flight, one row per partition.
INSERT INTO consumer_inflight AS i (group_id, topic, partition, first_offset, last_offset,
                                    crashes, suspect_until, owner)
SELECT %(group_id)s, k.topic, k.partition, k.first_offset, k.last_offset, k.crashes,
       k.suspect_until, %(owner)s
  FROM unnest(%(topics)s::TEXT[], %(partitions)s::INT[], %(first_offsets)s::BIGINT[],
              %(last_offsets)s::BIGINT[], %(crashes)s::INT[], %(suspect_until)s::BIGINT[])
       AS k(topic, partition, first_offset, last_offset, crashes, suspect_until)
    ON CONFLICT (group_id, topic, partition) DO UPDATE
   SET first_offset  = EXCLUDED.first_offset,
       last_offset   = EXCLUDED.last_offset,
       crashes       = EXCLUDED.crashes,
       suspect_until = EXCLUDED.suspect_until,
       owner         = EXCLUDED.owner,
       updated_date  = clock_timestamp()

-- name: inflight_release
-- A member that stops on its own (not a crash) leaves no suspicion behind.
DELETE FROM consumer_inflight WHERE group_id = %(group_id)s AND owner = %(owner)s

-- name: dead_letter_record
-- Before producing the DLQ copy. An existing row (the same message dead-lettered
-- before a restart) is returned with produced = whether its copy was acknowledged.
INSERT INTO dead_letter AS d (group_id, topic, partition, message_offset, message_timestamp,
                              error_class, reason)
VALUES (%(group_id)s, %(topic)s, %(partition)s, %(offset)s, %(timestamp)s,
        %(error_class)s, %(reason)s)
    ON CONFLICT (group_id, topic, partition, message_offset, message_timestamp) DO UPDATE
   SET error_class = d.error_class
RETURNING id, produced_date IS NOT NULL AS produced, stored

-- name: dead_letter_store
-- The original of a message too large for its DLQ topic.
UPDATE dead_letter
   SET stored_key = %(key)s, stored_value = %(value)s, stored_headers = %(headers)s, stored = TRUE
 WHERE id = %(id)s

-- name: dead_letter_produced
UPDATE dead_letter SET produced_date = clock_timestamp() WHERE id = ANY(%(ids)s::BIGINT[])

-- name: dead_letter_original
-- The stored original behind an x-dlq-stored-as header (provisioning dlq).
SELECT stored_key, stored_value, stored_headers FROM dead_letter WHERE id = %(id)s AND stored
