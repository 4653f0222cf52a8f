"""Tests for silver.expressions: allow-list, variable substitution, refusals, and execution on fakesnow."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from silver.expressions import ALLOWED_FUNCTIONS, ExpressionError, compile_expression, referenced_variables

pytestmark = pytest.mark.pure

RAW_RECORD = {
    "Svc Date": "03/15/2024",
    "Amount": "$1,234.50",
    "Name": "  john smith ",
    "Flag": "Y",
    "Gender": "1",
    "Code": "AB-12-cd",
    "Empty": "",
    "Num": "7.456",
    "Int": "42",
    "Ts": "2024-03-15 10:11:12",
    "Iso Ts": "2024-03-15T10:11:12",
    "Iso": "2024-03-15",
    "Bool": "true",
    "Negative": "(12.50)",
}

RULE_VARIABLES = {
    name: f'"{name}"' for name in ("CLAIM_ID", "PAID_AMOUNT", "BILLED_AMOUNT", "SERVICE_DATE", "MEMBER_ID")
}


def source_variables(field: str) -> dict[str, str]:
    return {"src": f'RAW_DATA:"{field}"::VARCHAR'}


@pytest.fixture(scope="module")
def cursor() -> Iterator[Any]:
    warnings.filterwarnings("ignore", module="fakesnow")
    from fakesnow.instance import FakeSnow

    connection = FakeSnow().connect(database="T", schema="S")
    cursor = connection.cursor()
    cursor.execute("CREATE TABLE R (RAW_DATA VARIANT)")
    cursor.execute(f"INSERT INTO R SELECT PARSE_JSON('{json.dumps(RAW_RECORD)}')")
    cursor.execute(
        "CREATE TABLE CLAIMS (CLAIM_ID INT, PAID_AMOUNT NUMBER(12, 2), BILLED_AMOUNT NUMBER(12, 2),"
        " SERVICE_DATE DATE, MEMBER_ID VARCHAR)"
    )
    cursor.execute(
        "INSERT INTO CLAIMS VALUES (1, 100, 150, '2024-03-15', 'M123'), (2, 200, 150, '2019-12-31', 'm-1'),"
        " (3, NULL, 10, NULL, NULL)"
    )
    yield cursor
    connection.close()


def evaluate(cursor: Any, expression: str, field: str) -> Any:
    compiled = compile_expression(expression, variables=source_variables(field))
    cursor.execute(f"SELECT {compiled} FROM R")
    return comparable(cursor.fetchone()[0])


def evaluate_rule(cursor: Any, expression: str, *, boolean: bool = True) -> list[Any]:
    compiled = compile_expression(expression, variables=RULE_VARIABLES, boolean=boolean)
    cursor.execute(f"SELECT {compiled} FROM CLAIMS ORDER BY CLAIM_ID")
    return [comparable(row[0]) for row in cursor.fetchall()]


def comparable(value: Any) -> Any:
    # DuckDB returns TIMESTAMP where Snowflake returns DATE (DATEADD/DATE_TRUNC on a date).
    if isinstance(value, datetime) and value.time() == datetime.min.time() and value.tzinfo is None:
        return value.date()
    return value


# One sample per allowed function: (expression, RAW_RECORD field bound to src, expected value on fakesnow).
FUNCTION_SAMPLES: dict[str, tuple[str, str, Any]] = {
    "UPPER": ("UPPER(src)", "Code", "AB-12-CD"),
    "LOWER": ("LOWER(src)", "Code", "ab-12-cd"),
    "TRIM": ("TRIM(src)", "Name", "john smith"),
    "LTRIM": ("LTRIM(src)", "Name", "john smith "),
    "RTRIM": ("RTRIM(src)", "Name", "  john smith"),
    "SUBSTR": ("SUBSTR(src, 4, 2)", "Code", "12"),
    "SUBSTRING": ("SUBSTRING(src, 1, 2)", "Code", "AB"),
    "LEFT": ("LEFT(src, 2)", "Code", "AB"),
    "RIGHT": ("RIGHT(src, 2)", "Code", "cd"),
    "REPLACE": ("REPLACE(src, '-', '')", "Code", "AB12cd"),
    "CONCAT": ("CONCAT(src, '!')", "Code", "AB-12-cd!"),
    "LPAD": ("LPAD(src, 10, '0')", "Code", "00AB-12-cd"),
    "RPAD": ("RPAD(src, 10, '*')", "Code", "AB-12-cd**"),
    "SPLIT_PART": ("SPLIT_PART(src, '-', 2)", "Code", "12"),
    "REGEXP_REPLACE": ("REGEXP_REPLACE(src, '[^0-9]', '')", "Code", "12"),
    "REGEXP_SUBSTR": ("REGEXP_SUBSTR(src, '[0-9]+')", "Code", "12"),
    "REGEXP_LIKE": ("REGEXP_LIKE(src, '^[A-Z]{2}-.*')", "Code", True),
    "INITCAP": ("INITCAP(TRIM(src))", "Name", "John Smith"),
    "LENGTH": ("LENGTH(src)", "Code", 8),
    "LEN": ("LEN(src)", "Code", 8),
    "POSITION": ("POSITION('-', src)", "Code", 3),
    "CHARINDEX": ("CHARINDEX('-', src)", "Code", 3),
    "CONTAINS": ("CONTAINS(src, '12')", "Code", True),
    "STARTSWITH": ("STARTSWITH(src, 'AB')", "Code", True),
    "ENDSWITH": ("ENDSWITH(src, 'cd')", "Code", True),
    "CAST": ("CAST(src AS NUMBER(10, 2))", "Num", Decimal("7.46")),
    "TRY_CAST": ("TRY_CAST(src AS DATE)", "Code", None),
    "TO_DATE": ("TO_DATE(src, 'MM/DD/YYYY')", "Svc Date", date(2024, 3, 15)),
    "TRY_TO_DATE": ("TRY_TO_DATE(src, 'MM/DD/YYYY')", "Code", None),
    "TO_TIMESTAMP": ("TO_TIMESTAMP(src, 'YYYY-MM-DD HH24:MI:SS')", "Ts", datetime(2024, 3, 15, 10, 11, 12)),
    "TO_TIMESTAMP_NTZ": ("TO_TIMESTAMP_NTZ(src)", "Ts", datetime(2024, 3, 15, 10, 11, 12)),
    "TRY_TO_TIMESTAMP": ("TRY_TO_TIMESTAMP(src, 'YYYY-MM-DD HH24:MI:SS')", "Code", None),
    "TO_NUMBER": ("TO_NUMBER(src, 10, 2)", "Num", Decimal("7.46")),
    "TO_DECIMAL": ("TO_DECIMAL(src, 10, 1)", "Num", Decimal("7.5")),
    "TRY_TO_NUMBER": ("TRY_TO_NUMBER(REPLACE(REPLACE(src, '$', ''), ',', ''), 18, 2)", "Amount", Decimal("1234.50")),
    "TRY_TO_DECIMAL": ("TRY_TO_DECIMAL(src, 10, 2)", "Code", None),
    "TRY_TO_DOUBLE": ("TRY_TO_DOUBLE(src)", "Num", 7.456),
    "TO_VARCHAR": ("TO_VARCHAR(TO_DATE(src, 'MM/DD/YYYY'), 'YYYY-MM-DD')", "Svc Date", "2024-03-15"),
    "TO_CHAR": ("TO_CHAR(TO_DATE(src), 'DD/MM/YYYY')", "Iso", "15/03/2024"),
    "TO_BOOLEAN": ("TO_BOOLEAN(src)", "Bool", True),
    "TRY_TO_BOOLEAN": ("TRY_TO_BOOLEAN(src)", "Code", None),
    "COALESCE": ("COALESCE(NULLIF(TRIM(src), ''), 'UNKNOWN')", "Empty", "UNKNOWN"),
    "NVL": ("NVL(NULLIF(src, ''), 'X')", "Empty", "X"),
    "NVL2": ("NVL2(src, 'present', 'missing')", "Code", "present"),
    "NULLIF": ("NULLIF(src, '')", "Empty", None),
    "IFF": ("IFF(src = 'Y', TRUE, FALSE)", "Flag", True),
    "IFNULL": ("IFNULL(NULLIF(src, ''), 'X')", "Empty", "X"),
    "ZEROIFNULL": ("ZEROIFNULL(TRY_TO_NUMBER(src))", "Code", 0),
    "NULLIFZERO": ("NULLIFZERO(LENGTH(src))", "Empty", None),
    "DECODE": ("DECODE(src, 'Y', 'Yes', 'N', 'No', 'Other')", "Flag", "Yes"),
    "GREATEST": ("GREATEST(src::NUMBER(10, 2), 10)", "Num", 10),
    "LEAST": ("LEAST(src::NUMBER(10, 2), 10)", "Num", Decimal("7.46")),
    "ABS": ("ABS(-src::NUMBER(10, 2))", "Num", Decimal("7.46")),
    "ROUND": ("ROUND(src::NUMBER(10, 3), 2)", "Num", Decimal("7.46")),
    "FLOOR": ("FLOOR(src::DOUBLE)", "Num", 7),
    "CEIL": ("CEIL(src::DOUBLE)", "Num", 8),
    "TRUNC": ("TRUNC(src::NUMBER(10, 3), 1)", "Num", Decimal("7.4")),
    "MOD": ("MOD(LENGTH(src), 3)", "Code", 2),
    "DIV0": ("DIV0(LENGTH(src), 0)", "Code", 0),
    "DATEADD": ("DATEADD(day, 20, TO_DATE(src, 'MM/DD/YYYY'))", "Svc Date", date(2024, 4, 4)),
    "DATEDIFF": ("DATEDIFF(day, TO_DATE(src, 'MM/DD/YYYY'), TO_DATE('2024-04-01'))", "Svc Date", 17),
    "DATE_TRUNC": ("DATE_TRUNC('month', TO_DATE(src, 'MM/DD/YYYY'))", "Svc Date", date(2024, 3, 1)),
    "YEAR": ("YEAR(TO_DATE(src))", "Iso", 2024),
    "MONTH": ("MONTH(TO_DATE(src))", "Iso", 3),
    "DAY": ("DAY(TO_DATE(src))", "Iso", 15),
    "LAST_DAY": ("LAST_DAY(TO_DATE(src))", "Iso", date(2024, 3, 31)),
    "CURRENT_DATE": ("CURRENT_DATE >= TO_DATE(src)", "Iso", True),
    "CURRENT_TIMESTAMP": ("CURRENT_TIMESTAMP() > TO_TIMESTAMP(src)", "Ts", True),
}

# Operators, syntax and realistic mapping expressions: (expression, field bound to src, expected value).
SYNTAX_SAMPLES: list[tuple[str, str, Any]] = [
    ("src", "Code", "AB-12-cd"),
    ("src || '!'", "Code", "AB-12-cd!"),
    ("UPPER(TRIM(src))", "Name", "JOHN SMITH"),
    ("TO_DATE(src, 'MM/DD/YYYY')", "Svc Date", date(2024, 3, 15)),
    ("TO_TIMESTAMP(src, 'YYYY-MM-DD\"T\"HH24:MI:SS')", "Iso Ts", datetime(2024, 3, 15, 10, 11, 12)),
    ("TRY_TO_NUMBER(REPLACE(src, '$', ''), 18, 2)", "Amount", None),
    ("TRY_TO_NUMBER(REPLACE(REPLACE(REPLACE(src, '(', '-'), ')', ''), ',', ''), 12, 2)", "Negative", Decimal("-12.50")),
    ("CASE WHEN src IN ('M', '1') THEN 'M' ELSE 'F' END", "Gender", "M"),
    ("CASE src WHEN 'Y' THEN 'Yes' ELSE 'No' END", "Flag", "Yes"),
    ("IFF(src = 'Y', 1, 0) + 1", "Flag", 2),
    ("(src::NUMBER(10, 2) + 1) * 2 - 1", "Num", Decimal("15.92")),
    ("src::INT % 5", "Int", 2),
    ("src::INTEGER / 4", "Int", 10.5),
    ("src LIKE 'AB%'", "Code", True),
    ("src ILIKE 'ab%'", "Code", True),
    ("src RLIKE '[A-Z]+-.*'", "Code", True),
    ("src LIKE 'AB!-%' ESCAPE '!'", "Code", True),
    ("src NOT IN ('x', 'y')", "Code", True),
    ("LENGTH(src) BETWEEN 1 AND 10", "Code", True),
    ("src IS NOT NULL AND NOT (src = 'x') OR FALSE", "Code", True),
    ("src IS DISTINCT FROM 'x'", "Code", True),
    ("src IS NULL", "Missing", True),
    ("src = 'it''s'", "Code", False),
    ("TRUNC(TO_DATE(src), 'MONTH')", "Iso", date(2024, 3, 1)),
    ("DATEADD('month', 1, TO_DATE(src))", "Iso", date(2024, 4, 15)),
    ("DATEDIFF(mon, TO_DATE(src), '2024-06-01'::DATE)", "Iso", 3),
    ("src::TIMESTAMP_NTZ", "Ts", datetime(2024, 3, 15, 10, 11, 12)),
    ("src::VARCHAR(20)", "Code", "AB-12-cd"),
    ("src::FLOAT", "Num", 7.456),
    ("src::BIGINT", "Int", 42),
    ("CAST(src AS TIME)", "Ts", datetime(2024, 3, 15, 10, 11, 12).time()),
]


def test_every_allowed_function_has_a_sample() -> None:
    assert set(FUNCTION_SAMPLES) == ALLOWED_FUNCTIONS


@pytest.mark.parametrize(("expression", "field", "expected"), FUNCTION_SAMPLES.values(), ids=list(FUNCTION_SAMPLES))
def test_allowed_function_runs_on_fakesnow(cursor: Any, expression: str, field: str, expected: Any) -> None:
    actual = evaluate(cursor, expression, field)
    assert actual == (pytest.approx(expected) if isinstance(expected, float) else expected)


@pytest.mark.parametrize(("expression", "field", "expected"), SYNTAX_SAMPLES, ids=[s[0] for s in SYNTAX_SAMPLES])
def test_syntax_runs_on_fakesnow(cursor: Any, expression: str, field: str, expected: Any) -> None:
    assert evaluate(cursor, expression, field) == expected


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("PAID_AMOUNT <= BILLED_AMOUNT", [True, False, None]),
        ("SERVICE_DATE >= '2020-01-01'", [True, False, None]),
        ("REGEXP_LIKE(MEMBER_ID, '^[A-Z0-9]+$')", [True, False, None]),
        ("member_id IS NOT NULL AND paid_amount > 0", [True, True, False]),
        ("PAID_AMOUNT BETWEEN 0 AND BILLED_AMOUNT", [True, False, None]),
        ("COALESCE(PAID_AMOUNT <= BILLED_AMOUNT, FALSE)", [True, False, False]),
        ("IFF(PAID_AMOUNT IS NULL, TRUE, PAID_AMOUNT > 150)", [False, True, True]),
        ("(DATEDIFF(day, SERVICE_DATE, '2024-12-31'::DATE) < 365)", [True, False, None]),
    ],
)
def test_rules_run_on_fakesnow(cursor: Any, rule: str, expected: list[Any]) -> None:
    assert evaluate_rule(cursor, rule) == expected


def test_correction_over_value_runs_on_fakesnow(cursor: Any) -> None:
    compiled = compile_expression("UPPER(REPLACE(value, '-', ''))", variables={"value": '"MEMBER_ID"'})
    cursor.execute(f"SELECT {compiled} FROM CLAIMS ORDER BY CLAIM_ID")
    assert [row[0] for row in cursor.fetchall()] == ["M123", "M1", None]


def test_variables_are_replaced_by_parsed_fragments() -> None:
    compiled = compile_expression("UPPER(Src)", variables={"SRC": 'RAW_DATA:"Claim ID"::VARCHAR'})
    assert compiled == "UPPER(CAST(GET_PATH(RAW_DATA, '[\"Claim ID\"]') AS VARCHAR))"


def test_string_literals_that_look_like_variables_are_untouched() -> None:
    compiled = compile_expression("CONCAT(REPLACE(src, 'src', 'x'), \"SRC\")", variables={"src": "X"})
    assert compiled == "CONCAT(REPLACE(X, 'src', 'x'), X)"


def test_compound_fragments_keep_their_meaning() -> None:
    assert compile_expression("src * 2", variables={"src": "A + B"}) == "(A + B) * 2"


def test_rule_columns_are_quoted_by_their_fragments() -> None:
    compiled = compile_expression("paid_amount <= BILLED_AMOUNT", variables=RULE_VARIABLES, boolean=True)
    assert compiled == '"PAID_AMOUNT" <= "BILLED_AMOUNT"'


def test_date_formats_reach_snowflake_verbatim() -> None:
    compiled = compile_expression("TO_TIMESTAMP(src, 'YYYY-MM-DD\"T\"HH24:MI:SS')", variables={"src": "X"})
    assert compiled == "TO_TIMESTAMP(X, 'YYYY-MM-DD\"T\"HH24:MI:SS')"


def test_functions_may_be_written_in_any_case() -> None:
    assert compile_expression("upper(trim(src))", variables={"src": "X"}) == "UPPER(TRIM(X))"


@pytest.mark.parametrize(
    "expression",
    ["src IS NULL", "NOT src", "src = 'Y' OR src = 'N'", "(src IN ('a'))", "CONTAINS(src, 'x')", "TRUE",
     "TRY_TO_BOOLEAN(src)", "CASE WHEN src = 'a' THEN TRUE ELSE src = 'b' END", "STARTSWITH(src, 'a')"],
)  # fmt: skip
def test_boolean_mode_accepts_conditions(expression: str) -> None:
    compile_expression(expression, variables={"src": "X"}, boolean=True)


@pytest.mark.parametrize(
    "expression", ["src", "UPPER(src)", "1", "src || 'a'", "IFF(src = 'a', 1, 0)", "CASE WHEN src = 'a' THEN 'x' END"]
)
def test_boolean_mode_refuses_values(expression: str) -> None:
    with pytest.raises(ExpressionError, match="true/false condition"):
        compile_expression(expression, variables={"src": "X"}, boolean=True)


def test_referenced_variables() -> None:
    assert referenced_variables('paid_amount <= BILLED_AMOUNT AND "MEMBER_ID" IS NOT NULL') == {
        "PAID_AMOUNT",
        "BILLED_AMOUNT",
        "MEMBER_ID",
    }
    assert referenced_variables("CURRENT_DATE") == set()
    with pytest.raises(ExpressionError):
        referenced_variables("(SELECT 1)")


@pytest.mark.parametrize("fragment", ["'unterminated", "A; B"])
def test_bad_fragment_is_a_programming_error_not_a_user_error(fragment: str) -> None:
    with pytest.raises(ValueError) as raised:
        compile_expression("src", variables={"src": fragment})
    assert not isinstance(raised.value, ExpressionError)


# (abusive input, part of the expected message)
REFUSED: list[tuple[str, str]] = [
    ("src); DROP TABLE X; --", "Only one expression"),
    ("(SELECT 1)", "Subqueries are not allowed"),
    ("SELECT 1", "SQL statements are not allowed"),
    ("src || (SELECT PASSWORD FROM USERS)", "Subqueries are not allowed"),
    ("src IN (SELECT x FROM y)", "Subqueries are not allowed"),
    ("EXISTS (SELECT 1)", "Subqueries are not allowed"),
    ("src = 1 UNION SELECT 1", "SQL statements are not allowed"),
    ("WITH x AS (SELECT 1) SELECT * FROM x", "only an expression (found WITH)"),
    ("SYSTEM$CANCEL_ALL_QUERIES()", "Function SYSTEM$CANCEL_ALL_QUERIES is not allowed"),
    ("SYSTEM$WAIT(100)", "Function SYSTEM$WAIT is not allowed"),
    ("RESULT_SCAN(LAST_QUERY_ID())", "Function RESULT_SCAN is not allowed"),
    ("GETVARIABLE('x')", "Function GETVARIABLE is not allowed"),
    ("DROP_TABLE(src)", "Function DROP_TABLE is not allowed"),
    ("LISTAGG(src, ',')", "Function LISTAGG is not allowed"),
    ("CURRENT_ROLE()", "Function CURRENT_ROLE is not allowed"),
    ("PARSE_JSON(src)", "Function PARSE_JSON is not allowed"),
    ('"UPPER"(src)', "Quoted function names"),
    ("OPS.TPA.TPA_CODE", "Qualified names"),
    ('"OPS"."TPA"."TPA_CODE"', "Qualified names"),
    ("t.src", "Qualified names"),
    ("src /* */ ; DELETE FROM T", "Comments"),
    ("src /* hidden */", "Comments"),
    ("src -- trailing", "Comments"),
    ("src // trailing", "Comments"),
    ("1; 1", "Only one expression is allowed (found ';')"),
    ("src;", "Only one expression"),
    ("$1", "positional references"),
    ("src = $session_var", "Variables"),
    ("?", "Bind parameters"),
    (":1", "Bind parameters"),
    ("src = :name", "Bind parameters"),
    ("IDENTIFIER('x')", "Function IDENTIFIER is not allowed"),
    ("TABLE(src)", "Table references are not allowed"),
    ("TABLE(FLATTEN(input => src))", "not allowed"),
    ("COUNT(src)", "Function COUNT is not allowed"),
    ("SUM(src) OVER ()", "Function SUM is not allowed"),
    ("TRANSFORM(src, x -> x)", "Function TRANSFORM is not allowed"),
    ("foo", "Unknown column foo"),
    ("UPPER(src) || other_column", "Unknown column other_column"),
    ("*", "* is not allowed"),
    ("src AS alias", "Aliases"),
    ("src:foo", "JSON path"),
    ("src[0]", "JSON path"),
    ("CAST(src AS VARIANT)", "Conversion to type VARIANT"),
    ("src IS TRUE", "IS NULL"),
    ("DATEADD(fortnight, 1, src)", "Unknown date part FORTNIGHT"),
    ("TRY_TO_TIMESTAMP(src)", "needs a value and a format"),
    ("TO_DATE(src, 'YYYY', 'extra')", "TO_DATE takes 1 to 2 arguments"),
    ("DELETE FROM T", "SQL statements are not allowed"),
    ("DROP TABLE X", "SQL statements are not allowed"),
    ("INSERT INTO T VALUES (1)", "SQL statements are not allowed"),
    ("UPDATE T SET a = 1", "SQL statements are not allowed"),
    ("CREATE TABLE x (a INT)", "SQL statements are not allowed"),
    ("EXECUTE IMMEDIATE 'DROP TABLE X'", "SQL statements are not allowed"),
    ("CALL my_proc()", "SQL statements are not allowed"),
    ("USE ROLE ACCOUNTADMIN", "SQL statements are not allowed"),
    ("GRANT ALL ON DATABASE d TO ROLE r", "only an expression (found GRANT)"),
    ("SHOW TABLES", "SQL statements are not allowed"),
    ("src = ANY (SELECT 1)", "Subqueries are not allowed"),
    ("UPPER((SELECT fn() FROM t))", "Subqueries are not allowed"),
    ("COUNT(*)", "Function COUNT is not allowed"),
    ("MAX(src)", "Function MAX is not allowed"),
    ("$$raw$$", "Unsupported syntax"),
    ("INTERVAL '1 day'", "Unsupported syntax"),
    ("'unterminated", "unbalanced quotes"),
    ('"unterminated', "unbalanced quotes"),
    ("UPPER(src", "Could not parse expression"),
    ("UPPER(src) FROM t", "Could not parse expression"),
    ("", "Expression is empty"),
    ("   \n", "Expression is empty"),
    ("src || " + "'x' || " * 400 + "src", "Expression is too long"),
    ("(" * 30 + "src" + ")" * 30, "nested too deeply"),
    ("NOT " * 450 + "src = 'a'", "nested too deeply"),
]


@pytest.mark.parametrize(("text", "expected_message"), REFUSED, ids=[text[:40] for text, _ in REFUSED])
def test_abusive_input_is_refused_with_a_readable_message(text: str, expected_message: str) -> None:
    with pytest.raises(ExpressionError) as raised:
        compile_expression(text, variables={"src": 'RAW_DATA:"x"::VARCHAR'})
    message = str(raised.value)
    assert expected_message in message
    assert "\n" not in message and "\x1b" not in message and len(message) < 200


def test_max_length_is_configurable() -> None:
    compile_expression("UPPER(src)", variables={"src": "X"}, max_length=10)
    with pytest.raises(ExpressionError, match="too long"):
        compile_expression("UPPER(src) ", variables={"src": "X"}, max_length=10)


FUZZ_WORDS = [
    "src", "(", ")", ",", "'x'", "1", "+", "*", "||", "=", "AND", "OR", "NOT", "IN", "IS", "NULL", "CASE", "WHEN",
    "THEN", "END", "UPPER", "TO_DATE", "IFF", "CAST", "AS", "VARCHAR", "::", "SELECT", "FROM", "$1", "?", ":", "[",
    "]", ";", "--", "/*", "*/", "'", '"', ".", "OVER", "COUNT", "TABLE", "->", "=>", "@", "EXISTS", "ANY", "$$",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.lists(st.sampled_from(FUZZ_WORDS), max_size=12).map(" ".join), st.text(max_size=40)))
def test_any_input_is_refused_or_compiles_to_one_safe_expression(text: str) -> None:
    try:
        compiled = compile_expression(text, variables={"src": "RAW_DATA"})
    except ExpressionError:
        return
    (statement,) = sqlglot.parse(compiled, read="snowflake")
    assert statement is not None
    assert not list(statement.find_all(exp.Query, exp.Command, exp.Table, exp.Placeholder, exp.Parameter))
    assert {column.sql() for column in statement.find_all(exp.Column)} <= {"RAW_DATA"}
