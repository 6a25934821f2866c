-- The order service's schema: order -> order_item -> order_item_plan. Plan
-- status changes roll up into the item and the order (db/triggers/50_orders.sql).
-- Deliberately no foreign keys into public: the schema can move to its own
-- database.

CREATE TABLE orders.order_status (
    id          UUID NOT NULL DEFAULT gen_random_uuid(),
    name        TEXT NOT NULL UNIQUE,
    is_success  BOOLEAN NOT NULL,
    is_final    BOOLEAN NOT NULL,
    PRIMARY KEY (id)
);

INSERT INTO orders.order_status (name, is_success, is_final) VALUES
    ('created',    TRUE,  FALSE),
    ('processing', TRUE,  FALSE),
    ('successful', TRUE,  TRUE),
    ('failed',     FALSE, TRUE);

CREATE TABLE orders.order_item_status (
    id          UUID NOT NULL DEFAULT gen_random_uuid(),
    name        TEXT NOT NULL UNIQUE,
    is_success  BOOLEAN NOT NULL,
    is_final    BOOLEAN NOT NULL,
    PRIMARY KEY (id)
);

INSERT INTO orders.order_item_status (name, is_success, is_final) VALUES
    ('new',        TRUE,  FALSE),
    ('processing', TRUE,  FALSE),
    ('complete',   TRUE,  TRUE),
    ('failed',     FALSE, TRUE);

CREATE TABLE orders.order_item_plan_status (
    id          UUID NOT NULL DEFAULT gen_random_uuid(),
    name        TEXT NOT NULL UNIQUE,
    is_success  BOOLEAN NOT NULL,
    is_final    BOOLEAN NOT NULL,
    PRIMARY KEY (id)
);

INSERT INTO orders.order_item_plan_status (name, is_success, is_final) VALUES
    ('new',        TRUE,  FALSE),
    ('processing', TRUE,  FALSE),
    ('completed',  TRUE,  TRUE),
    ('failed',     FALSE, TRUE);

CREATE TABLE orders."order" (
    id                  UUID NOT NULL DEFAULT gen_random_uuid(),
    tenant_customer_id  UUID NOT NULL,
    status_id           UUID NOT NULL DEFAULT tc_id_from_name('orders.order_status', 'created')
                        REFERENCES orders.order_status,
    metadata            JSONB NOT NULL DEFAULT '{}',
    created_date        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_date        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (id)
);

CREATE INDEX order_tenant_customer_idx ON orders."order" (tenant_customer_id);

CREATE TABLE orders.order_item (
    id                  UUID NOT NULL DEFAULT gen_random_uuid(),
    order_id            UUID NOT NULL REFERENCES orders."order",
    product             TEXT NOT NULL,          -- e.g. domain, ssl
    action              TEXT NOT NULL,          -- e.g. create, renew, transfer_in
    object_name         TEXT NOT NULL,          -- e.g. example.com
    status_id           UUID NOT NULL DEFAULT tc_id_from_name('orders.order_item_status', 'new')
                        REFERENCES orders.order_item_status,
    created_date        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_date        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (id)
);

CREATE INDEX order_item_order_idx ON orders.order_item (order_id);

CREATE TABLE orders.order_item_plan (
    id                  UUID NOT NULL DEFAULT gen_random_uuid(),
    order_item_id       UUID NOT NULL REFERENCES orders.order_item,
    action              TEXT NOT NULL,          -- provision table, e.g. provision_domain
    status_id           UUID NOT NULL DEFAULT tc_id_from_name('orders.order_item_plan_status', 'new')
                        REFERENCES orders.order_item_plan_status,
    request_id          UUID UNIQUE,            -- the ProvisionRequest published for this plan
    -- plans of stage n+1 are requested once every plan of stage n completed
    -- (a domain's contacts and hosts before the domain)
    stage               INT NOT NULL DEFAULT 1 CHECK (stage >= 1),
    position            INT NOT NULL DEFAULT 0,  -- order of the item's plans (requests go out in it)
    request             JSONB,                  -- the request to publish (schemas/requests.py form)
    message_key         TEXT,                   -- its Kafka key (the object key)
    requested_date      TIMESTAMPTZ,            -- when it went into the request outbox
    result_message      TEXT,
    result_data         JSONB,
    created_date        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_date        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (id)
);

CREATE INDEX order_item_plan_item_idx ON orders.order_item_plan (order_item_id);

-- Outcome events already applied (orders.apply_outcome is idempotent by event_id).
CREATE TABLE orders.processed_event (
    event_id            UUID NOT NULL PRIMARY KEY,
    plan_ids            UUID[] NOT NULL DEFAULT '{}',
    status              TEXT NOT NULL,
    processed_date      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The order service's transactional outbox: the requests of released plans,
-- written in the same transaction as the order (or the outcome that released
-- them) and published to the orders topic by the relay in id order.
CREATE TABLE orders.request_outbox (
    id                  BIGSERIAL PRIMARY KEY,
    request_id          UUID NOT NULL UNIQUE,
    order_item_plan_id  UUID NOT NULL REFERENCES orders.order_item_plan,
    message_key         TEXT NOT NULL,
    request             JSONB NOT NULL,
    traceparent         TEXT,
    created_date        TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_date           TIMESTAMPTZ
);
CREATE INDEX request_outbox_unsent_idx ON orders.request_outbox (id) WHERE sent_date IS NULL;
