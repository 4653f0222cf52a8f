-- Cluster-wide locks (medallion/locks.py): a name is held while one of its rows has an owner whose lease
-- has not expired. Released locks keep their row with no owner.
CREATE TABLE IF NOT EXISTS OPS.LOCKS (
    LOCK_NAME VARCHAR(500) NOT NULL,
    OWNER VARCHAR(200),
    ACQUIRED_AT TIMESTAMP_NTZ,
    HEARTBEAT_AT TIMESTAMP_NTZ,
    EXPIRES_AT TIMESTAMP_NTZ
);
