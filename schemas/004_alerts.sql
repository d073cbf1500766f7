-- Alerts: events worth telling a person (a snapshot pending, malware found, verification failed, a source
-- failing, an approval overdue, a chain re-check failing), queued by whoever sees them and delivered by
-- sluice-syncd with retries, so a dead receiver never holds up a sync. `dedup` keeps one alert per
-- condition (e.g. per overdue snapshot) however often it is seen.
CREATE TABLE alerts (
	id          INTEGER PRIMARY KEY,
	event       TEXT NOT NULL,
	source      TEXT,
	snapshot_id INTEGER,
	text        TEXT NOT NULL,           -- one readable paragraph, shown as it is by chat tools
	body        TEXT NOT NULL,           -- the JSON document posted to the webhook (includes text)
	created_at  INTEGER NOT NULL,
	dedup       TEXT UNIQUE
);

CREATE TABLE alert_deliveries (
	alert_id     INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
	channel      TEXT NOT NULL CHECK (channel IN ('webhook', 'smtp')),
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_at      INTEGER NOT NULL,
	delivered_at INTEGER,
	last_error   TEXT,
	PRIMARY KEY (alert_id, channel)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries(delivered_at, next_at);
