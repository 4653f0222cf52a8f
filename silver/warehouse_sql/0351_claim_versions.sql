-- Every version of a claim as received (original, resubmission, adjustment, reversal); the physical Silver
-- table keeps the current version of each claim with the claim's net amounts.
CREATE TABLE IF NOT EXISTS SILVER.CLAIM_VERSIONS (
    TPA VARCHAR(50) NOT NULL,
    SCHEMA_TABLE VARCHAR(100) NOT NULL,
    CLAIM_ID VARCHAR(100) NOT NULL,
    RECORD_ID INTEGER NOT NULL,
    BATCH_ID VARCHAR(40) NOT NULL,
    FILE_NAME VARCHAR(500),
    VERSION_NUMBER INTEGER,
    VERSION_KIND VARCHAR(20),
    IS_CURRENT BOOLEAN,
    BILLED_AMOUNT NUMBER(18, 2),
    ALLOWED_AMOUNT NUMBER(18, 2),
    PAID_AMOUNT NUMBER(18, 2),
    CLAIM_STATUS VARCHAR(50),
    RECORDED_AT TIMESTAMP_NTZ NOT NULL
);
