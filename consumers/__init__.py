"""Kafka consumers: ingest of the order and action topics, the order-service consumer, replay."""
