-- Failed requests are rare: a partial index lets charts count them per pixel column without
-- reading the outcome of every row.
CREATE INDEX request_metrics_failures ON request_metrics (connection_id, at) WHERE outcome <> 'ok';
