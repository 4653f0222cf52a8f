-- The lowercased values of a record's id, name and code fields (bronze.search_keys): what text search reads
-- instead of the whole VARIANT. Rows loaded before it have none and are searched in their JSON text.
ALTER TABLE BRONZE.RAW_DATA_TABLE ADD COLUMN SEARCH_KEYS VARCHAR;
