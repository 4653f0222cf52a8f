"""Validate and compile user-written Snowflake expressions (mapping transforms, rules, corrections).

User text is parsed with sqlglot, every node is checked against an allow-list of node types, variable
references are replaced by trusted SQL fragments, and the tree is rendered back as Snowflake SQL.
Because the output is regenerated from the checked tree (never pasted from user text), anything the
checker does not know about cannot reach the warehouse.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.dialects.snowflake import Snowflake
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

__all__ = [
    "ALLOWED_FUNCTIONS",
    "ExpressionError",
    "GuardedConversion",
    "compile_expression",
    "compile_guarded_conversion",
    "referenced_variables",
]


class ExpressionError(ValueError):
    """The expression was refused; the message is safe to show to the user."""


# Function names users may call. sqlglot maps most onto the typed nodes in _FUNCTION_NODE_TYPES; the
# _VERBATIM_FUNCTION_ARITY ones are kept as exp.Anonymous calls. Other spellings that sqlglot maps onto
# the same typed nodes (e.g. STRPOS) are accepted too: they render as the canonical function, so they
# cannot do anything the listed ones cannot.
ALLOWED_FUNCTIONS: frozenset[str] = frozenset(
    {
        # string
        "UPPER", "LOWER", "TRIM", "LTRIM", "RTRIM", "SUBSTR", "SUBSTRING", "LEFT", "RIGHT",
        "REPLACE", "CONCAT", "LPAD", "RPAD", "SPLIT_PART", "REGEXP_REPLACE", "REGEXP_SUBSTR",
        "REGEXP_LIKE", "INITCAP", "LENGTH", "LEN", "POSITION", "CHARINDEX", "CONTAINS",
        "STARTSWITH", "ENDSWITH",
        # conversion
        "CAST", "TRY_CAST", "TO_DATE", "TRY_TO_DATE", "TO_TIMESTAMP", "TO_TIMESTAMP_NTZ",
        "TRY_TO_TIMESTAMP", "TO_NUMBER", "TO_DECIMAL", "TRY_TO_NUMBER", "TRY_TO_DECIMAL",
        "TRY_TO_DOUBLE", "TO_VARCHAR", "TO_CHAR", "TO_BOOLEAN", "TRY_TO_BOOLEAN",
        # null handling / conditional
        "COALESCE", "NVL", "NVL2", "NULLIF", "IFF", "IFNULL", "ZEROIFNULL", "NULLIFZERO",
        "DECODE", "GREATEST", "LEAST",
        # math
        "ABS", "ROUND", "FLOOR", "CEIL", "TRUNC", "MOD", "DIV0",
        # date
        "DATEADD", "DATEDIFF", "DATE_TRUNC", "YEAR", "MONTH", "DAY", "LAST_DAY",
        "CURRENT_DATE", "CURRENT_TIMESTAMP",
    }
)  # fmt: skip

# Functions with a date/time format argument are parsed as plain calls and rendered as written: sqlglot
# would translate the format to strftime and back, which loses quoted text such as 'YYYY-MM-DD"T"HH24'.
# Values are (minimum, maximum) argument counts. TRY_TO_TIMESTAMP needs its format because DuckDB
# (fakesnow) has no one-argument form and expressions must run on both engines.
_VERBATIM_FUNCTION_ARITY: Mapping[str, tuple[int, int]] = {
    "TO_DATE": (1, 2),
    "TRY_TO_DATE": (1, 2),
    "TO_TIMESTAMP": (1, 2),
    "TO_TIMESTAMP_NTZ": (1, 2),
    "TRY_TO_TIMESTAMP": (2, 2),
    "TO_CHAR": (1, 2),
    "TO_VARCHAR": (1, 2),
}

_FUNCTION_NODE_TYPES: frozenset[type[exp.Expression]] = frozenset(
    {
        exp.Upper, exp.Lower, exp.Trim, exp.Substring, exp.Left, exp.Right, exp.Replace,
        exp.Concat, exp.Pad, exp.SplitPart, exp.RegexpReplace, exp.RegexpExtract, exp.RegexpLike,
        exp.Initcap, exp.Length, exp.StrPosition, exp.Contains, exp.StartsWith, exp.EndsWith,
        exp.Cast, exp.TryCast, exp.ToNumber, exp.ToDouble, exp.ToBoolean,
        exp.Coalesce, exp.Nvl2, exp.Nullif, exp.If, exp.Case, exp.DecodeCase, exp.Greatest,
        exp.Least,
        exp.Abs, exp.Round, exp.Floor, exp.Ceil, exp.Trunc,
        exp.DateAdd, exp.DateDiff, exp.TimestampTrunc, exp.DateTrunc, exp.Year, exp.Month, exp.Day,
        exp.LastDay, exp.CurrentDate, exp.CurrentTimestamp,
    }
)  # fmt: skip

_OPERATOR_NODE_TYPES: frozenset[type[exp.Expression]] = frozenset(
    {
        exp.Paren, exp.Neg, exp.Not, exp.And, exp.Or,
        exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ,
        exp.In, exp.Between, exp.Like, exp.ILike, exp.Escape, exp.Is,
        exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.DPipe,
    }
)  # fmt: skip

# Literal values and DECIMAL(18, 2)-style type parameters.
_LEAF_NODE_TYPES: frozenset[type[exp.Expression]] = frozenset({exp.Literal, exp.Boolean, exp.Null, exp.DataTypeParam})

_CAST_TARGET_TYPES: frozenset[exp.DataType.Type] = frozenset(
    {
        exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT, exp.DataType.Type.CHAR,
        exp.DataType.Type.DECIMAL, exp.DataType.Type.INT, exp.DataType.Type.BIGINT,
        exp.DataType.Type.SMALLINT, exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT,
        exp.DataType.Type.BOOLEAN, exp.DataType.Type.DATE, exp.DataType.Type.TIME,
        exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ,
    }
)  # fmt: skip

_DATE_PART_FUNCTIONS: tuple[type[exp.Expression], ...] = (
    exp.DateAdd,
    exp.DateDiff,
    exp.TimestampTrunc,
    exp.DateTrunc,
)

# sqlglot normalises date-part aliases (dd, mon, yrs, ...) to these names.
_DATE_PARTS: frozenset[str] = frozenset(
    {
        "YEAR", "QUARTER", "MONTH", "WEEK", "WEEKS", "DAY", "HOUR", "MINUTE", "SECOND",
        "MILLISECOND", "MICROSECOND", "NANOSECOND", "NANOSECONDS",
    }
)  # fmt: skip

_PREDICATE_NODE_TYPES: tuple[type[exp.Expression], ...] = (
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ,
    exp.And, exp.Or, exp.Not, exp.In, exp.Between, exp.Like, exp.ILike, exp.Escape, exp.Is,
    exp.RegexpLike, exp.Contains, exp.StartsWith, exp.EndsWith, exp.ToBoolean, exp.Boolean,
)  # fmt: skip

# Only used to word the refusal: any other statement is refused by the node allow-list anyway.
_STATEMENT_NODE_TYPES: tuple[type[exp.Expression], ...] = (
    exp.DDL, exp.DML, exp.Command, exp.Drop, exp.Alter, exp.Use, exp.Set, exp.Transaction, exp.Commit,
    exp.Rollback, exp.Describe, exp.Grant, exp.Revoke, exp.Show, exp.Put, exp.Get, exp.TruncateTable, exp.Copy,
    exp.Comment, exp.Undrop, exp.ListStage, exp.Kill, exp.Analyze, exp.Pragma, exp.Execute,
)  # fmt: skip

_SUBQUERY_NODE_TYPES: tuple[type[exp.Expression], ...] = (exp.Query, exp.Subquery, exp.Exists)

# sqlglot parses and renders recursively, about 20 Python frames per nested call: stay far below the
# default recursion limit of 1000 even when called from deep inside a web request.
_MAX_NESTING = 20
# Bounds on what one expression may build per value: padding to at most this many characters, and replacement
# text that is a literal of at most _MAX_REPLACEMENT_LENGTH (a column as replacement grows a value quadratically).
MAX_PADDED_LENGTH = 10000
_MAX_REPLACEMENT_LENGTH = 100
_SNIPPET_LENGTH = 60
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
_DIALECT = Dialect.get_or_raise("snowflake")


class _UserExpressionParser(Snowflake.Parser):
    FUNCTIONS = {
        name: build for name, build in Snowflake.Parser.FUNCTIONS.items() if name not in _VERBATIM_FUNCTION_ARITY
    }


def compile_expression(
    text: str,
    *,
    variables: Mapping[str, str],
    boolean: bool = False,
    max_length: int = 2000,
) -> str:
    """Parse `text` (Snowflake dialect), check every node against the allow-list, replace each variable
    reference (case-insensitive identifier named in `variables`, e.g. {"src": 'RAW_DATA:"Claim ID"::VARCHAR'}
    or {"PAID_AMOUNT": '"PAID_AMOUNT"'}) by the given SQL fragment, and return Snowflake SQL text.

    With boolean=True the expression must be a condition (comparison, AND/OR/NOT, IN, LIKE, IS NULL, ...).
    Raise ExpressionError, whose message can be shown to the user.
    """
    fragments_by_name = _parse_fragments(variables)
    try:
        tree = _checked_tree(text, fragments_by_name, max_length)
        if boolean and not _is_predicate(tree):
            raise ExpressionError("A rule must be a true/false condition such as a comparison, not a value")
        return _substitute_variables(tree, fragments_by_name).sql(dialect="snowflake")
    except RecursionError:
        raise _too_deep_error() from None


@dataclass(frozen=True)
class GuardedConversion:
    sql: str
    conversion_failed: str | None  # SQL condition, or None when the expression converts nothing


def compile_guarded_conversion(text: str, *, variables: Mapping[str, str], max_length: int = 2000) -> GuardedConversion:
    """Like compile_expression for a mapping, where the variables are text: each conversion of text (TO_DATE,
    TO_TIMESTAMP, TO_NUMBER, CAST, ...) becomes its TRY_ form, so a value it cannot convert makes the result
    NULL instead of failing the statement, and `conversion_failed` is true exactly when some conversion in the
    expression was given a value (not empty text, which counts as missing) and could not convert it."""
    fragments_by_name = _parse_fragments(variables)
    try:
        tree = _checked_tree(text, fragments_by_name, max_length).transform(_guarded)
        checks = [
            exp.and_(_is_null(exp.Nullif(this=argument.copy(), expression=exp.Literal.string(""))).not_(),
                     _is_null(node.copy()))
            for node in tree.find_all(exp.Func)
            if (argument := _converted_text(node)) is not None
        ]  # fmt: skip
        failed = exp.or_(*checks) if checks else None
        return GuardedConversion(
            _substitute_variables(tree, fragments_by_name).sql(dialect="snowflake"),
            None if failed is None else _substitute_variables(failed, fragments_by_name).sql(dialect="snowflake"),
        )
    except RecursionError:
        raise _too_deep_error() from None


def _is_null(node: exp.Expression) -> exp.Expression:
    return exp.Is(this=node, expression=exp.Null())


def _checked_tree(text: str, fragments_by_name: Mapping[str, exp.Expression], max_length: int) -> exp.Expression:
    tree = _parse_single_expression(text, max_length=max_length)
    _check_nodes(tree, known_variables=frozenset(fragments_by_name))
    return tree


# Results of these are text, so converting them (like converting a variable) is what TRY_ forms accept:
# Snowflake's TRY_ functions take only text.
_TEXT_NODE_TYPES: tuple[type[exp.Expression], ...] = (
    exp.Column, exp.Upper, exp.Lower, exp.Trim, exp.Substring, exp.Left, exp.Right, exp.Replace, exp.Concat,
    exp.DPipe, exp.Pad, exp.SplitPart, exp.RegexpReplace, exp.RegexpExtract, exp.Initcap,
)  # fmt: skip
_SAFE_VERBATIM = {"TO_DATE": "TRY_TO_DATE", "TO_TIMESTAMP": "TRY_TO_TIMESTAMP", "TO_TIMESTAMP_NTZ": "TRY_TO_TIMESTAMP"}
_TRY_VERBATIM = frozenset({"TRY_TO_DATE", "TRY_TO_TIMESTAMP"})


def _is_text(node: exp.Expression) -> bool:
    if isinstance(node, exp.Paren):
        return _is_text(node.this)
    if isinstance(node, exp.Literal):
        return node.is_string
    if isinstance(node, exp.Anonymous):
        return node.name.upper() in {"TO_CHAR", "TO_VARCHAR"}
    return isinstance(node, _TEXT_NODE_TYPES)


def _guarded(node: exp.Expression) -> exp.Expression:
    """The TRY_ form of a conversion of text; any other node unchanged."""
    if type(node) is exp.Cast and _is_text(node.this):
        return exp.TryCast(this=node.this, to=node.args["to"])
    if isinstance(node, (exp.ToNumber, exp.ToDouble, exp.ToBoolean)) and _is_text(node.this):
        node.set("safe", True)
    elif isinstance(node, exp.Anonymous) and node.name.upper() in _SAFE_VERBATIM and _is_text(node.expressions[0]):
        if len(node.expressions) == 1 and node.name.upper() != "TO_DATE":
            return exp.TryCast(this=node.expressions[0], to=exp.DataType.build("TIMESTAMP_NTZ"))
        return exp.Anonymous(this=_SAFE_VERBATIM[node.name.upper()], expressions=node.expressions)
    return node


def _converted_text(node: exp.Expression) -> exp.Expression | None:
    """The text a guarded conversion converts, or None when `node` is no such conversion."""
    if isinstance(node, exp.TryCast) or (isinstance(node, (exp.ToNumber, exp.ToDouble, exp.ToBoolean))
                                         and node.args.get("safe")):  # fmt: skip
        argument = node.this
    elif isinstance(node, exp.Anonymous) and node.name.upper() in _TRY_VERBATIM:
        argument = node.expressions[0]
    else:
        return None
    return argument if _is_text(argument) else None


def referenced_variables(text: str, *, max_length: int = 2000) -> set[str]:
    """Uppercase names of the variables/columns `text` refers to. Raise ExpressionError if it is refused."""
    try:
        tree = _parse_single_expression(text, max_length=max_length)
        _check_nodes(tree, known_variables=None)
    except RecursionError:
        raise _too_deep_error() from None
    return {column.name.upper() for column in tree.find_all(exp.Column)}


def _parse_fragments(variables: Mapping[str, str]) -> dict[str, exp.Expression]:
    fragments_by_name: dict[str, exp.Expression] = {}
    for name, fragment in variables.items():
        key = name.upper()
        if key in fragments_by_name:
            raise ValueError(f"Variable {name!r} is given twice (names are case-insensitive)")
        fragments_by_name[key] = _parse_fragment(fragment)
    return fragments_by_name


@functools.lru_cache(maxsize=512)
def _parse_fragment(fragment: str) -> exp.Expression:
    # Fragments come from application code, not users: a bad one is a programming error, so it is a
    # plain ValueError rather than an ExpressionError shown to the user.
    try:
        statements = _DIALECT.parse(fragment)
    except (ParseError, TokenError) as error:
        raise ValueError(f"Invalid SQL fragment {fragment!r}: {error}") from error
    if len(statements) != 1 or statements[0] is None:
        raise ValueError(f"SQL fragment {fragment!r} must be exactly one expression")
    return statements[0]


def _parse_single_expression(text: str, *, max_length: int) -> exp.Expression:
    if len(text) > max_length:
        raise ExpressionError(f"Expression is too long ({len(text)} characters; the maximum is {max_length})")
    tokens = _tokenize(text)
    if not tokens:
        raise ExpressionError("Expression is empty")
    _check_tokens(tokens)
    try:
        statements = _UserExpressionParser(dialect=_DIALECT).parse(tokens, text)
    except ParseError as error:
        raise ExpressionError(_describe_parse_error(error)) from None
    if len(statements) != 1 or statements[0] is None:
        raise ExpressionError("Expression is empty")
    tree = statements[0]
    if isinstance(tree, _STATEMENT_NODE_TYPES) or (isinstance(tree, exp.Query) and not isinstance(tree, exp.Subquery)):
        keyword = next(token.text for token in tokens if token.token_type != TokenType.L_PAREN)
        raise ExpressionError(f"SQL statements are not allowed, only an expression (found {keyword.upper()})")
    if tree.find(*_SUBQUERY_NODE_TYPES):
        raise ExpressionError("Subqueries are not allowed")
    _check_function_names(tokens)
    return tree


def _tokenize(text: str) -> list[Token]:
    try:
        return _DIALECT.tokenize(text)
    except TokenError:
        raise ExpressionError("Could not read the expression: check for unbalanced quotes") from None


def _check_tokens(tokens: list[Token]) -> None:
    nesting = 0
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            raise ExpressionError("Only one expression is allowed (found ';')")
        # The tokenizer attaches comments to the neighbouring token; comments are refused rather than
        # stripped so that what the user reads is exactly what gets checked.
        if token.comments:
            raise ExpressionError("Comments (--, //, /* */) are not allowed")
        if token.token_type == TokenType.L_PAREN:
            nesting += 1
            if nesting > _MAX_NESTING:
                raise _too_deep_error()
        elif token.token_type == TokenType.R_PAREN:
            nesting -= 1


def _check_function_names(tokens: list[Token]) -> None:
    # Checked on tokens as well as on the tree so that the message names the function as the user wrote it
    # (sqlglot renames many, e.g. LISTAGG -> GROUP_CONCAT) and so that only the documented names are
    # accepted. Keyword-named functions (LEFT, REPLACE, ...) are not VAR tokens and are left to the tree check.
    for token, next_token in itertools.pairwise(tokens):
        if next_token.token_type != TokenType.L_PAREN:
            continue
        if token.token_type == TokenType.IDENTIFIER:
            raise ExpressionError(f'Quoted function names such as "{token.text}" are not allowed')
        if token.token_type == TokenType.VAR and token.text.upper() not in ALLOWED_FUNCTIONS:
            raise ExpressionError(f"Function {token.text.upper()} is not allowed")


def _describe_parse_error(error: ParseError) -> str:
    details = error.errors[0] if error.errors else {}
    description = _ANSI_ESCAPE.sub("", str(details.get("description") or error)).splitlines()[0]
    column = details.get("col")
    if column:
        return f"Could not parse expression: {description} (near character {column})"
    return f"Could not parse expression: {description}"


def _check_nodes(tree: exp.Expression, *, known_variables: frozenset[str] | None) -> None:
    for node in tree.walk():
        _check_node(node, known_variables)


def _check_node(node: exp.Expression, known_variables: frozenset[str] | None) -> None:  # noqa: C901 (one branch per node kind of the allow-list)
    node_type = type(node)
    if node_type is exp.Column:
        _check_column(node, known_variables)
    elif node_type is exp.Identifier:
        if not isinstance(node.parent, exp.Column):
            raise ExpressionError(f"Unsupported syntax: {_snippet(node.parent or node)}")
    elif node_type is exp.Anonymous:
        _check_verbatim_function(node)
    elif node_type is exp.DataType:
        if node.this not in _CAST_TARGET_TYPES:
            raise ExpressionError(f"Conversion to type {node.sql(dialect='snowflake')} is not allowed")
    elif node_type is exp.Var:
        if not isinstance(node.parent, _DATE_PART_FUNCTIONS) or node.arg_key != "unit":
            raise ExpressionError(f"Unsupported syntax: {_snippet(node)}")
        if node.name.upper() not in _DATE_PARTS:
            raise ExpressionError(f"Unknown date part {node.name.upper()}")
    elif node_type is exp.Is:
        if not isinstance(node.expression, exp.Null):
            raise ExpressionError("IS can only be used as IS NULL or IS NOT NULL")
    elif node_type is exp.Pad:
        _check_pad_length(node)
    elif node_type in (exp.Replace, exp.RegexpReplace):
        _check_replacement(node)
    elif not (node_type in _FUNCTION_NODE_TYPES or node_type in _OPERATOR_NODE_TYPES or node_type in _LEAF_NODE_TYPES):
        raise ExpressionError(_describe_refused_node(node))


def _check_pad_length(pad: exp.Pad) -> None:
    length = pad.expression
    if not (isinstance(length, exp.Literal) and length.is_int and 0 <= int(length.name) <= MAX_PADDED_LENGTH):
        function_name = "LPAD" if pad.args.get("is_left") else "RPAD"
        raise ExpressionError(f"{function_name} needs a length that is a whole number from 0 to {MAX_PADDED_LENGTH}")


def _check_replacement(call: exp.Expression) -> None:
    replacement = call.args.get("replacement")
    if replacement is None:
        return
    if not (isinstance(replacement, exp.Literal) and len(replacement.name) <= _MAX_REPLACEMENT_LENGTH):
        raise ExpressionError(f"The replacement text must be a literal of at most {_MAX_REPLACEMENT_LENGTH} characters")


def _check_verbatim_function(call: exp.Anonymous) -> None:
    function_name = call.name.upper()
    if function_name not in _VERBATIM_FUNCTION_ARITY or not isinstance(call.this, str):
        raise ExpressionError(f"Function {function_name} is not allowed")
    minimum, maximum = _VERBATIM_FUNCTION_ARITY[function_name]
    if minimum <= len(call.expressions) <= maximum:
        return
    if minimum == maximum == 2:
        raise ExpressionError(
            f"{function_name} needs a value and a format, e.g. {function_name}(src, 'YYYY-MM-DD HH24:MI:SS')"
        )
    raise ExpressionError(f"{function_name} takes {minimum} to {maximum} arguments")


def _check_column(column: exp.Column, known_variables: frozenset[str] | None) -> None:
    if isinstance(column.this, exp.Star):
        raise ExpressionError("* is not allowed")
    if column.table or column.db or column.catalog:
        raise ExpressionError(f"Qualified names such as {_snippet(column)} are not allowed; use a plain column name")
    if known_variables is not None and column.name.upper() not in known_variables:
        raise ExpressionError(f"Unknown column {column.name}")


def _describe_refused_node(node: exp.Expression) -> str:
    if isinstance(node, exp.Window):
        return "Window functions (OVER ...) are not allowed"
    if isinstance(node, exp.AggFunc):
        return f"Aggregate function {node.sql_name()} is not allowed"
    if isinstance(node, exp.Lambda):
        return "Lambda expressions (->) are not allowed"
    if isinstance(node, exp.Star):
        return "* is not allowed"
    if isinstance(node, exp.Parameter):
        return f"Variables and positional references such as {_snippet(node)} are not allowed"
    if isinstance(node, exp.Placeholder):
        return "Bind parameters such as ? or :1 are not allowed"
    if isinstance(node, exp.DynamicIdentifier):
        return "IDENTIFIER(...) is not allowed"
    if isinstance(node, (exp.Table, exp.TableFromRows)):
        return "Table references are not allowed"
    if isinstance(node, (exp.JSONExtract, exp.JSONExtractScalar, exp.Bracket)):
        return "JSON path and element access (: or [...]) is not allowed"
    if isinstance(node, exp.Alias):
        return "Aliases (AS ...) are not allowed"
    if isinstance(node, exp.Func):
        return f"Function {node.sql_name()} is not allowed"
    return f"Unsupported syntax: {_snippet(node)}"


def _too_deep_error() -> ExpressionError:
    return ExpressionError(f"Expression is nested too deeply (at most {_MAX_NESTING} levels of parentheses)")


def _snippet(node: exp.Expression) -> str:
    text = node.sql(dialect="snowflake")
    if len(text) > _SNIPPET_LENGTH:
        return text[: _SNIPPET_LENGTH - 3] + "..."
    return text


def _is_predicate(node: exp.Expression | None) -> bool:
    if node is None:  # a missing ELSE yields NULL, which is still a boolean value
        return True
    if isinstance(node, exp.Paren):
        return _is_predicate(node.this)
    if isinstance(node, exp.If):
        return _is_predicate(node.args.get("true")) and _is_predicate(node.args.get("false"))
    if isinstance(node, exp.Case):
        branches = [branch.args.get("true") for branch in node.args.get("ifs") or []]
        return all(_is_predicate(branch) for branch in [*branches, node.args.get("default")])
    if isinstance(node, exp.Coalesce):
        return all(_is_predicate(argument) for argument in [node.this, *node.expressions])
    return type(node) in _PREDICATE_NODE_TYPES


def _substitute_variables(tree: exp.Expression, fragments_by_name: Mapping[str, exp.Expression]) -> exp.Expression:
    for column in list(tree.find_all(exp.Column)):
        replacement = _as_operand(fragments_by_name[column.name.upper()].copy())
        if column is tree:
            return replacement
        column.replace(replacement)
    return tree


def _as_operand(fragment: exp.Expression) -> exp.Expression:
    # sqlglot renders the tree as-is, so a fragment like `A + B` dropped into `src * 2` needs
    # explicit parentheses to keep its meaning.
    is_atomic = isinstance(fragment, (exp.Column, exp.Literal, exp.Boolean, exp.Null, exp.Paren)) or (
        isinstance(fragment, exp.Func) and not isinstance(fragment, (exp.Binary, exp.Unary))
    )
    return fragment if is_atomic else exp.Paren(this=fragment)
