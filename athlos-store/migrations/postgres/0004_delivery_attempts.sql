-- An attempt of a delivery is marked before it sends: one found in flight when the next
-- attempt starts had its worker stop before recording the outcome, so the receiver may have
-- it already (possibly_sent, kept).
ALTER TABLE athlos_webhook_deliveries
    ADD COLUMN in_flight BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN possibly_sent BOOLEAN NOT NULL DEFAULT FALSE;
