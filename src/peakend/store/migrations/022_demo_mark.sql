-- A store that holds the demo network says so (its days and seed): a server on it feeds today's simulated traffic
-- through the live loop, so that the demo's live panels show a day in progress. No row: not the demo.
CREATE TABLE demo_mark (
    days    INTEGER NOT NULL,
    seed    INTEGER NOT NULL,
    made_at TIMESTAMP NOT NULL
);
