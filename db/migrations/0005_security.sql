-- Version 5: rejections keep their tenant_customer; outbox rows that cannot be
-- published are parked.
\ir ../tables/98_security.sql
