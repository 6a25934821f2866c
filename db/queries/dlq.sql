-- Named queries of `provisioning dlq` (consumers/dlq.py): the redrive record.

-- name: lock_topic
-- Serialises redrives of one DLQ topic until the transaction ends, so two
-- operators cannot both republish the same message.
SELECT pg_advisory_xact_lock(hashtext('dlq_redrive'), hashtext(%(dlq_topic)s));

-- name: redrives_of_topic
SELECT dlq_topic,
       partition,
       dlq_offset,
       original_topic,
       redriven_at,
       redriven_by,
       new_partition,
       new_offset,
       redrive_count
  FROM dlq_redrive
 WHERE dlq_topic = %(dlq_topic)s
 ORDER BY partition, dlq_offset;

-- name: record_redrive
-- After Kafka confirmed the copy; a forced repeat replaces the row's latest
-- redrive and counts it.
INSERT INTO dlq_redrive AS r (dlq_topic, partition, dlq_offset, original_topic,
                              new_partition, new_offset)
VALUES (%(dlq_topic)s, %(partition)s, %(dlq_offset)s, %(original_topic)s,
        %(new_partition)s, %(new_offset)s)
    ON CONFLICT (dlq_topic, partition, dlq_offset) DO UPDATE
   SET original_topic = EXCLUDED.original_topic,
       new_partition  = EXCLUDED.new_partition,
       new_offset     = EXCLUDED.new_offset,
       redriven_at    = clock_timestamp(),
       redriven_by    = session_user,
       redrive_count  = r.redrive_count + 1
RETURNING dlq_topic,
          partition,
          dlq_offset,
          original_topic,
          redriven_at,
          redriven_by,
          new_partition,
          new_offset,
          redrive_count;
