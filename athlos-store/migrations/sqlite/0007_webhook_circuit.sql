-- A subscription's circuit breaker: its consecutive failed delivery attempts, and while the
-- circuit is open, when the next probe goes (microseconds since the Unix epoch; NULL: closed).
ALTER TABLE athlos_webhooks ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE athlos_webhooks ADD COLUMN next_probe INTEGER;
