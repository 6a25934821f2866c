-- Version 8: the order-status outbox (orders.status_outbox), one event per
-- order that reached a final status, published to the order-status topic.
\ir ../tables/99_order_status_outbox.sql
