-- Version 2: the consumer loop's in-flight offsets (poison-pill quarantine) and
-- its dead-letter record (dedupe, oversized originals).
\ir ../tables/95_consumer_runtime.sql
