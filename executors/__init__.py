"""Job executors: claim jobs from PostgreSQL and run them against a backend."""
