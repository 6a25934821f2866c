-- Version 9: a provision's pending_action outcome beside its final one
-- (pending transfers); the index of the domains whose redemption ends.
\ir ../tables/99_pending_transfers.sql
