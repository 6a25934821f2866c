-- The order-status outbox: one OrderStatus event per order, written in the
-- same transaction as the plan change that made the order final (the trigger
-- trg_50_order_status, orders.emit_order_status). UNIQUE (order_id) makes it
-- once per order: a replayed or duplicated outcome changes no plan, and even a
-- second call finds the row there. The relay (`provisioning relay --outbox
-- order-status`) publishes the rows in id order to PROVISIONING_TOPIC_ORDER_STATUS.
CREATE TABLE orders.status_outbox (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- publish order
    event_id            UUID NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    order_id            UUID NOT NULL UNIQUE REFERENCES orders."order",
    message_key         TEXT NOT NULL,                -- the order id
    event               JSONB NOT NULL                -- the OrderStatus datum, without ids and time
                        CHECK (jsonb_typeof(event) = 'object'),
    traceparent         TEXT,
    created_date        TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_date           TIMESTAMPTZ
);
CREATE INDEX status_outbox_unsent_idx ON orders.status_outbox (id) WHERE sent_date IS NULL;

-- Its rows are parked like the other outboxes' (docs/relay.md).
ALTER TABLE outbox_parked DROP CONSTRAINT outbox_parked_outbox_check;
ALTER TABLE outbox_parked ADD CONSTRAINT outbox_parked_outbox_check
    CHECK (outbox IN ('outcomes', 'order-requests', 'action-requests', 'order-status'));

-- Placing a domain create asks whether another order not yet final registers
-- the name (orders.unavailable_domains): an index lookup, whatever the history.
CREATE INDEX order_item_domain_create_idx ON orders.order_item (object_name)
    WHERE product = 'domain' AND action = 'create';
