-- Security (issue 11): what tenant isolation and deliverable outcomes need of the tables.

-- Functions whose signature changed (their files create the new ones):
-- apply_outcome takes the outcome's request_id and returns the refused plans,
-- provision_reject the tenant_customer the request named.
DROP FUNCTION IF EXISTS orders.apply_outcome(UUID, UUID[], TEXT, TEXT, JSONB);
DROP FUNCTION IF EXISTS provision_reject(UUID, TEXT, TEXT, TEXT, TEXT, UUID[], JSONB, TEXT);

-- A rejection keeps the tenant_customer the request named, so the order service
-- applies its outcome only to that tenant's plans (orders.apply_outcome).
ALTER TABLE provision_rejection ADD COLUMN tenant_customer_id UUID;

-- The audit log keeps no auth codes (audit_redact, applied to every new row):
-- the rows written before are redacted the same way.
UPDATE audit_trail_log
   SET old_value = CASE WHEN old_value IS NULL THEN NULL ELSE old_value
           || CASE WHEN old_value ->> 'pw' IS NOT NULL THEN '{"pw": "redacted"}'::JSONB ELSE '{}' END
           || CASE WHEN old_value ->> 'auth_info' IS NOT NULL THEN '{"auth_info": "redacted"}'::JSONB ELSE '{}' END
       END,
       new_value = CASE WHEN new_value IS NULL THEN NULL ELSE new_value
           || CASE WHEN new_value ->> 'pw' IS NOT NULL THEN '{"pw": "redacted"}'::JSONB ELSE '{}' END
           || CASE WHEN new_value ->> 'auth_info' IS NOT NULL THEN '{"auth_info": "redacted"}'::JSONB ELSE '{}' END
       END
 WHERE old_value ->> 'pw' IS NOT NULL OR old_value ->> 'auth_info' IS NOT NULL
    OR new_value ->> 'pw' IS NOT NULL OR new_value ->> 'auth_info' IS NOT NULL;

-- Outbox rows the relay could not publish for a reason of their own (too big
-- for the broker, not encodable), by outbox ('outcomes', 'order-requests') and
-- row id: each failed attempt is counted, and after PROVISIONING_RELAY_MAX_ATTEMPTS
-- the row is parked (parked_date). A parked row and the later rows of its
-- message key wait (per-key order); every other key flows on. `provisioning
-- outbox retry|drop` releases them.
CREATE TABLE outbox_parked (
    outbox              TEXT NOT NULL CHECK (outbox IN ('outcomes', 'order-requests')),
    row_id              BIGINT NOT NULL,
    message_key         TEXT NOT NULL,
    attempts            INT NOT NULL CHECK (attempts > 0),
    reason              TEXT NOT NULL,
    first_failed_date   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_failed_date    TIMESTAMPTZ NOT NULL DEFAULT now(),
    parked_date         TIMESTAMPTZ,
    PRIMARY KEY (outbox, row_id)
);
CREATE INDEX outbox_parked_key_idx ON outbox_parked (outbox, message_key, row_id)
    WHERE parked_date IS NOT NULL;
