-- Webhook subscriptions. Times are microseconds since the Unix epoch.
CREATE TABLE webhooks (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    scope          TEXT    NOT NULL,
    url            TEXT    NOT NULL,
    secret         TEXT    NOT NULL,
    event_types    TEXT    NOT NULL,
    enabled        INTEGER NOT NULL,
    after_sequence INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX webhooks_by_scope ON webhooks (scope, id);

-- One row per event and subscription; at most one 'sending' per subscription.
CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook     INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    sequence    INTEGER NOT NULL,
    message_id  TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    round       INTEGER NOT NULL DEFAULT 0,
    job         INTEGER,
    last_status INTEGER,
    last_error  TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (webhook, sequence)
);
CREATE INDEX webhook_deliveries_line ON webhook_deliveries (webhook, state, sequence, id);

-- How far the dispatcher has read the event log.
CREATE TABLE webhook_cursor (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    position INTEGER NOT NULL
);
INSERT INTO webhook_cursor (only_row, position) VALUES (1, 0);
