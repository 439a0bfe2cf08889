-- Webhook subscriptions.
CREATE TABLE athlos_webhooks (
    id             BIGSERIAL   PRIMARY KEY,
    scope          TEXT        COLLATE "C" NOT NULL,
    url            TEXT        NOT NULL,
    secret         TEXT        NOT NULL,
    event_types    JSONB       NOT NULL,
    enabled        BOOLEAN     NOT NULL,
    after_sequence BIGINT      NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX athlos_webhooks_by_scope ON athlos_webhooks (scope, id);

-- One row per event and subscription; at most one 'sending' per subscription.
CREATE TABLE athlos_webhook_deliveries (
    id          BIGSERIAL   PRIMARY KEY,
    webhook     BIGINT      NOT NULL REFERENCES athlos_webhooks (id) ON DELETE CASCADE,
    sequence    BIGINT      NOT NULL,
    message_id  TEXT        NOT NULL,
    state       TEXT        NOT NULL,
    attempts    INTEGER     NOT NULL DEFAULT 0,
    round       INTEGER     NOT NULL DEFAULT 0,
    job         BIGINT,
    last_status INTEGER,
    last_error  TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (webhook, sequence)
);
CREATE INDEX athlos_webhook_deliveries_line ON athlos_webhook_deliveries (webhook, state, sequence, id);

-- How far the dispatcher has read the event log (the row lock serialises dispatchers).
CREATE TABLE athlos_webhook_cursor (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    position BIGINT  NOT NULL
);
INSERT INTO athlos_webhook_cursor (only_row, position) VALUES (TRUE, 0);
