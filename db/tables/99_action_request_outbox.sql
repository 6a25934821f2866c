-- The request outbox of any component (producers/outbox.py enqueue_request):
-- a ProvisionRequest for the actions topic, written in the same transaction as
-- the component's own change, so the two commit or roll back together. The
-- relay (`provisioning relay --outbox action-requests`) publishes the rows in
-- id order and sets sent_date. A writer needs only INSERT on request_id,
-- message_key, request and traceparent (db/roles.sql: provisioning_requester);
-- id, created_date and sent_date are the system's.
CREATE TABLE action_request_outbox (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- publish order
    request_id          UUID NOT NULL UNIQUE,
    message_key         TEXT NOT NULL CHECK (length(message_key) BETWEEN 1 AND 1000),
    request             JSONB NOT NULL                -- schemas/requests.py form
                        CHECK (jsonb_typeof(request) = 'object'
                               AND octet_length(request::TEXT) <= 65536),
    traceparent         TEXT
                        CHECK (traceparent ~ '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'),
    created_date        TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_date           TIMESTAMPTZ
);
CREATE INDEX action_request_outbox_unsent_idx ON action_request_outbox (id) WHERE sent_date IS NULL;

-- Its rows are parked like the other outboxes' (docs/relay.md).
ALTER TABLE outbox_parked DROP CONSTRAINT outbox_parked_outbox_check;
ALTER TABLE outbox_parked ADD CONSTRAINT outbox_parked_outbox_check
    CHECK (outbox IN ('outcomes', 'order-requests', 'action-requests'));
