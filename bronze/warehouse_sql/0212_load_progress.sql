-- Rows a running load has written so far, beside its heartbeat (the queue row only learns the count at the end).
ALTER TABLE BRONZE.LOAD_HEARTBEATS ADD COLUMN ROWS_SO_FAR INTEGER;
