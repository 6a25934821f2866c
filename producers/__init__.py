"""Kafka producers: the request producer any component uses, and the outbox relay."""
