"""Avro schemas (one .avsc per record) and the codec that reads and writes them."""
