-- The transactional outbox: one row per outcome event, written in the same
-- transaction as the status change that caused it. The relay publishes rows
-- in id order (per message_key) and sets sent_date.

CREATE TABLE outbox (
    id                   BIGSERIAL PRIMARY KEY,               -- publish order
    event_id             UUID NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    request_id           UUID NOT NULL,
    provision_id         UUID,                                -- NULL for a request rejected by validation
    action               TEXT NOT NULL,                       -- provision table name
    status               TEXT NOT NULL,                       -- provision_status.name
    order_item_plan_ids  UUID[],
    result_message       TEXT,
    result_data          JSONB,
    message_key          TEXT NOT NULL,                       -- order id, else the object key
    traceparent          TEXT,
    created_date         TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_date            TIMESTAMPTZ
);

CREATE INDEX outbox_unsent_idx ON outbox (id) WHERE sent_date IS NULL;
CREATE INDEX outbox_request_id_idx ON outbox (request_id);
-- at most one outcome per provision
CREATE UNIQUE INDEX outbox_provision_id_idx ON outbox (provision_id) WHERE provision_id IS NOT NULL;

-- Requests that failed validation (provision_reject): keeps provision_reject
-- idempotent and lets the validation triggers treat a replay of a rejected
-- request as a duplicate.
CREATE TABLE provision_rejection (
    request_id      UUID NOT NULL PRIMARY KEY,
    action          TEXT NOT NULL,
    event_id        UUID NOT NULL UNIQUE,
    sqlstate        TEXT,
    message         TEXT NOT NULL,
    created_date    TIMESTAMPTZ NOT NULL DEFAULT now()
);
