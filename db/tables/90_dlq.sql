-- Redrives of dead-lettered messages (`provisioning dlq redrive`, docs/dlq.md).
-- One row per DLQ message that was republished to its original topic, written
-- after Kafka confirmed the delivery: where the copy landed, when and by whom.
-- The unique key makes "redriven already" a fact the next redrive checks; a
-- forced redrive of the same message updates the row and counts it.

CREATE TABLE dlq_redrive (
    id              BIGSERIAL PRIMARY KEY,
    dlq_topic       TEXT NOT NULL,
    partition       INT NOT NULL CHECK (partition >= 0),
    dlq_offset      BIGINT NOT NULL CHECK (dlq_offset >= 0),
    original_topic  TEXT NOT NULL,                                -- where the copy was published
    redriven_at     TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),  -- the last redrive
    redriven_by     TEXT NOT NULL DEFAULT session_user,           -- login role of the operator
    new_partition   INT NOT NULL,                                 -- the copy's place in original_topic
    new_offset      BIGINT NOT NULL,
    redrive_count   INT NOT NULL DEFAULT 1 CHECK (redrive_count >= 1),
    UNIQUE (dlq_topic, partition, dlq_offset)
);

COMMENT ON TABLE dlq_redrive IS
    'DLQ messages republished to their original topic by `provisioning dlq redrive`; '
    'the latest redrive of each, redrive_count counts --force repeats.';
