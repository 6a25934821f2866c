-- What the consumer loop (consumers/loop.py) keeps in the database besides the
-- data it records: which offsets were in flight when a process died, and which
-- messages it dead-lettered. docs/ingest.md explains both.

-- One row per consumer group and partition: the offsets the group's member was
-- handling, written (and committed) BEFORE it handled them. A member that
-- finds a row of another member whose range holds the offset it is about to
-- read knows that member died with those offsets in flight: it handles the
-- range one message at a time, counting each message's crashes, and
-- dead-letters a message that crashed the consumer K times without handling
-- it again (PROVISIONING_CONSUMER_MAX_CRASHES).
CREATE TABLE consumer_inflight (
    group_id       TEXT NOT NULL,
    topic          TEXT NOT NULL,
    partition      INT NOT NULL CHECK (partition >= 0),
    first_offset   BIGINT NOT NULL CHECK (first_offset >= 0),
    last_offset    BIGINT NOT NULL CHECK (last_offset >= first_offset),
    crashes        INT NOT NULL DEFAULT 0 CHECK (crashes >= 0),  -- of first_offset, so far
    suspect_until  BIGINT,            -- handle one message at a time up to this offset
    owner          TEXT NOT NULL,     -- the member process that wrote the row
    updated_date   TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (group_id, topic, partition)
);

COMMENT ON TABLE consumer_inflight IS
    'Offsets each consumer-group member had in flight, written before handling them: '
    'how a restarted member finds the message that killed its predecessor.';

-- One row per message a consumer group dead-lettered, written before the DLQ
-- copy is produced and marked once Kafka acknowledged it: a restart that reads
-- the same message again does not dead-letter it twice. A message too large for
-- its DLQ topic keeps its key, value and headers here; the DLQ copy then carries
-- the header x-dlq-stored-as: dead_letter:<id>.
CREATE TABLE dead_letter (
    id                 BIGSERIAL PRIMARY KEY,
    group_id           TEXT NOT NULL,
    topic              TEXT NOT NULL,
    partition          INT NOT NULL CHECK (partition >= 0),
    message_offset     BIGINT NOT NULL CHECK (message_offset >= 0),
    message_timestamp  BIGINT NOT NULL,   -- ms; tells a recreated topic's message apart
    error_class        TEXT NOT NULL,
    reason             TEXT NOT NULL,
    created_date       TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    produced_date      TIMESTAMPTZ,       -- when Kafka acknowledged the DLQ copy
    stored_key         BYTEA,             -- the original, when it did not fit the DLQ topic
    stored_value       BYTEA,
    stored_headers     JSONB,             -- [[base64 name, base64 value or null], ...]
    stored             BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (group_id, topic, partition, message_offset, message_timestamp)
);

COMMENT ON TABLE dead_letter IS
    'Messages a consumer group dead-lettered (dedupe across restarts), and the '
    'originals of those too large for their DLQ topic.';
