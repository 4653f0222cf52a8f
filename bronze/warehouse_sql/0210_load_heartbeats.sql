-- The worker loading a file beats here, not on its queue row: the load transaction updates the queue row at its
-- end, and a heartbeat committed on that row meanwhile would make that update a write-write conflict.
CREATE TABLE IF NOT EXISTS BRONZE.LOAD_HEARTBEATS (
    QUEUE_ID INTEGER NOT NULL,
    CLAIMED_BY VARCHAR(200) NOT NULL,
    HEARTBEAT_AT TIMESTAMP_NTZ NOT NULL
);
