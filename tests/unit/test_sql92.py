"""SQL92 filter: results as RocketMQ 4.9.7's filter module computes them.

Every expectation below was also checked against the Java classes themselves (SelectorParser.parse + evaluate).
ERROR means Java's evaluate() throws, which the broker (ExpressionMessageFilter) treats as "no match".
"""
from __future__ import annotations

import pytest

from broker.filter.sql92 import SqlEvaluationError, SqlParseError, compile_expression, matches

ERROR = "error"

# (expression, message properties, result of evaluate(): True / False / None for Java null / ERROR)
EVALUATE_CASES = [
    # = and <> between strings are exact
    ("a = 'x'", {"a": "x"}, True),
    ("a = 'x'", {"a": "X"}, False),
    ("a <> 'x'", {"a": "y"}, True),
    ("a = 'it''s'", {"a": "it's"}, True),
    ("a = ''", {"a": ""}, True),
    ("a = b", {"a": "3.14", "b": "3.14"}, True),
    ("a = b", {"a": "1", "b": "1.0"}, False),  # two strings: no number conversion for =
    # two properties under <, > etc. are both read with Double.valueOf (ComparisonExpression.evaluate)
    ("a > b", {"a": "20", "b": "10"}, True),  # numeric, not lexicographic
    ("a > b", {"a": "1e3", "b": "999.5"}, True),
    ("a > b", {"a": " 6 ", "b": "5"}, True),  # Double.valueOf trims
    ("a < b", {"a": "-0.0", "b": "0.0"}, True),  # Double.compareTo orders the zeros
    ("a > b", {"a": "NaN", "b": "1"}, True),  # ... and puts NaN above everything
    ("a >= b", {"a": "NaN", "b": "NaN"}, True),
    ("a > b", {"a": "abc", "b": "1"}, ERROR),
    # a property against a number is converted to that number's Java type (ComparisonExpression.__compare)
    ("a = 10", {"a": "10"}, True),
    ("a > 5", {"a": "10"}, True),
    ("a < 5", {"a": "10"}, False),
    ("5 < a", {"a": "10"}, True),
    ("a > 5", {"a": "5.5"}, ERROR),  # 5 is an Integer: Integer.valueOf("5.5") throws
    ("a > 5.0", {"a": "5.5"}, True),
    ("a = 5", {"a": "5.0"}, ERROR),
    ("a = 5.0", {"a": "5"}, True),
    ("a = 5", {"a": "05"}, True),
    ("a = 5", {"a": "+5"}, True),
    ("a = 5", {"a": " 5"}, ERROR),  # Integer.valueOf does not trim ...
    ("a > 5.0", {"a": " 6"}, True),  # ... Double.valueOf does
    ("a = 10", {"a": "1_0"}, ERROR),  # Python's int() would accept this
    ("a = 3", {"a": "\u0663"}, True),  # Character.digit takes any Unicode decimal digit
    ("a > 5", {"a": "3000000000"}, ERROR),  # beyond Integer
    ("a > 2147483647", {"a": "2147483648"}, ERROR),
    ("a > 2147483648", {"a": "3000000000"}, True),  # this literal is a Long (ConstantExpression.createFromDecimal)
    ("a = 10L", {"a": "10"}, True),
    ("a > 5.0", {"a": "Infinity"}, True),
    ("a > 5.0", {"a": "inf"}, ERROR),
    ("a > 0.5", {"a": "NaN"}, True),
    ("a = 8.0", {"a": "0x1p3"}, True),  # Java hex floating-point strings
    ("a = 1.5", {"a": "1.5f"}, True),
    ("a > 1e3", {"a": "1001"}, True),
    ("a = -5", {"a": "-5"}, True),
    ("a = - 5.5", {"a": "-5.5"}, True),
    ("a = - -5", {"a": "5"}, True),
    ("-a IS NULL", {"a": "5"}, True),  # negating a string gives null (UnaryExpression.createNegate)
    ("-a = -5", {"a": "5"}, None),
    ("+a = 5", {"a": "5"}, True),
    # booleans: Boolean.valueOf(property) and the mixed-type rules of __compare
    ("a = TRUE", {"a": "TRUE"}, True),
    ("a = TRUE", {"a": "yes"}, False),
    ("a = FALSE", {"a": "yes"}, True),  # anything but "true" reads as false
    ("'true' = TRUE", {}, True),
    ("1 = TRUE", {}, False),  # unrelated types compare as -1
    ("1 <> TRUE", {}, True),
    ("(a = 'x') = 'true'", {"a": "x"}, ERROR),  # Boolean left of a String: ClassCastException in __compare
    ("a = 2 > 1", {"a": "true"}, True),  # a = (2 > 1): comparisons bind tighter than =
    ("a = 1 = TRUE", {"a": "1"}, True),
    ("a > 1 = FALSE", {"a": "0"}, True),
    # a bare property / constant where a boolean is needed (SelectorParser.asBooleanExpression)
    ("a", {"a": "true"}, False),  # createBooleanCast: a String is never Boolean.TRUE
    ("a", {}, None),
    ("NOT a", {"a": "x"}, True),
    ("NOT a", {}, None),
    ("a AND TRUE", {"a": "true"}, False),
    ("TRUE", {}, True),
    ("FALSE", {}, False),
    ("NULL", {}, None),
    ("NOT NULL", {}, None),
    # null: a missing property is null; = is asymmetric (ComparisonExpression.doCreateEqual)
    ("a = 'x'", {}, None),
    ("'x' = a", {}, False),
    ("a <> 'x'", {}, None),
    ("'x' <> a", {}, True),
    ("a = b", {}, True),  # null = null is TRUE
    ("a <> b", {}, False),
    ("a = b", {"a": "x"}, False),
    ("a = b", {"b": "x"}, None),
    ("a > 5", {}, None),
    ("5 > a", {}, None),
    ("a IS NULL", {}, True),
    ("a IS NULL", {"a": ""}, False),
    ("a IS NOT NULL", {"a": ""}, True),
    ("a IS NOT NULL", {}, False),
    ("NULL IS NULL", {}, True),
    ("'x' IS NULL", {}, False),
    ("a > 1 IS NULL", {}, True),
    # AND / OR with null (LogicExpression): FALSE beats null in AND, TRUE beats null in OR
    ("a = '1' AND b = '2'", {"a": "1"}, None),
    ("a = '1' AND b = '2'", {"a": "0"}, False),
    ("b = '2' AND a = '1'", {"a": "0"}, False),
    ("a = '1' AND b = '2'", {"a": "1", "b": "2"}, True),
    ("a = '1' OR b = '2'", {"b": "2"}, True),
    ("a = '1' OR b = '2'", {"b": "3"}, None),
    ("a = '1' OR b = '2'", {"a": "0", "b": "3"}, False),
    ("NOT (a = '1')", {}, None),
    ("NOT (a = '1')", {"a": "2"}, True),
    # left to right with short circuit, so an error on the right can be skipped but not on the left
    ("a = 'x' OR b > 5", {"a": "x", "b": "abc"}, True),
    ("b > 5 OR a = 'x'", {"a": "x", "b": "abc"}, ERROR),
    ("a = 'y' AND b > 5", {"a": "x", "b": "abc"}, False),
    ("NOT (b > 5)", {"b": "abc"}, ERROR),
    # precedence: OR < AND < =,<>,IS < >,<,BETWEEN,IN < unary NOT,-,+
    ("a = '1' OR b = '1' AND c = '1'", {"a": "1", "b": "0", "c": "0"}, True),
    ("(a = '1' OR b = '1') AND c = '1'", {"a": "1", "b": "0", "c": "0"}, False),
    ("NOT a = 'x'", {"a": "y"}, ERROR),  # (NOT a) = 'x' -> TRUE = 'x' -> ClassCastException
    ("NOT a = 'x'", {"a": "x"}, ERROR),
    ("NOT a = 'x'", {}, None),
    ("NOT a IS NULL", {}, True),  # (NOT a) IS NULL
    ("NOT a IS NULL", {"a": "x"}, False),
    ("NOT NOT TRUE", {}, True),
    # BETWEEN is >= AND <=; NOT BETWEEN is < OR > (ComparisonExpression.createBetween / createNotBetween)
    ("a BETWEEN 1 AND 10", {"a": "1"}, True),
    ("a BETWEEN 1 AND 10", {"a": "10"}, True),
    ("a BETWEEN 1 AND 10", {"a": "0"}, False),
    ("a BETWEEN 1 AND 10", {"a": "11"}, False),
    ("a BETWEEN 1 AND 10", {}, None),
    ("a BETWEEN 1 AND 10", {"a": "5.5"}, ERROR),
    ("a BETWEEN 1.0 AND 10", {"a": "5.5"}, ERROR),  # the <= 10 half still uses Integer.valueOf
    ("a BETWEEN 1.0 AND 10.0", {"a": "5.5"}, True),
    ("a BETWEEN b AND c", {"a": "5", "b": "1", "c": "9"}, True),
    ("a BETWEEN -10 AND -1", {"a": "-5"}, True),
    ("a BETWEEN -1 AND -10", {"a": "-5"}, False),  # negated bounds escape the low <= high check
    ("5 BETWEEN 1 AND 10", {}, True),
    ("a NOT BETWEEN 1 AND 10", {"a": "11"}, True),
    ("a NOT BETWEEN 1 AND 10", {"a": "5"}, False),
    ("a NOT BETWEEN 1 AND 10", {}, None),
    ("a NOT BETWEEN 10 AND 1", {"a": "5"}, True),  # no bounds check for NOT BETWEEN
    # IN compares strings only; a missing property gives null for IN and NOT IN (UnaryExpression.createInExpression)
    ("a IN ('x', 'y')", {"a": "y"}, True),
    ("a IN ('x', 'y')", {"a": "z"}, False),
    ("a IN ('x', 'y')", {}, None),
    ("a NOT IN ('x', 'y')", {"a": "z"}, True),
    ("a NOT IN ('x', 'y')", {"a": "x"}, False),
    ("a NOT IN ('x', 'y')", {}, None),
    ("a IN ('1')", {"a": "1.0"}, False),
    ("a IN ('a', 'b', 'c', 'd', 'e', 'f')", {"a": "f"}, True),
    ("a IN ('it''s')", {"a": "it's"}, True),
    ("(a) IN ('x')", {"a": "x"}, True),
    # keywords are case-insensitive, property names are not
    ("a is not null aNd b iN ('1') oR c BeTwEeN 1 and 2", {"a": "x", "b": "1"}, True),
    ("a Not In ('1') AND a NOT between 5 AND 6", {"a": "2"}, True),
    ("a = true", {"a": "TRUE"}, True),
    ("a Is NuLl", {}, True),
    ("A = 'x'", {"a": "x"}, None),
    # lexing: blanks are " \t\n\r\f", comments, identifiers [A-Za-z_$][A-Za-z0-9_$]*, number forms
    ("a=1AND b=2", {"a": "1", "b": "2"}, True),
    ("a = 1 -- note\n AND b = '2'", {"a": "1", "b": "2"}, True),
    ("a /* = 2 */ = 1", {"a": "1"}, True),
    ("\ta\r\n=\f1", {"a": "1"}, True),
    ("$x = 1 AND _y1 = 2", {"$x": "1", "_y1": "2"}, True),
    ("a = 1.5E+0", {"a": "1.5"}, True),
    ("a = .5", {"a": "0.5"}, True),
    ("a = 5.", {"a": "5"}, True),
    ("a = 4.9e-324", {"a": "4.9e-324"}, True),  # Double.MIN_VALUE itself is allowed
    ("a = 'multi\nline'", {"a": "multi\nline"}, True),
]

# Java's start rule has no <EOF> (SelectorParser.JmsSelector): parsing stops once the expression cannot go on,
# and only the next token is ever lexed, so these are accepted and the rest is ignored.
TRAILING_CASES = [
    ("a = 1 b", {"a": "1"}, True),
    ("a = 1 )", {"a": "1"}, True),
    ("a = 1 b #", {"a": "1"}, True),  # '#' is never lexed
    ("a = 1 --c", {"a": "1"}, True),  # a "--" comment needs its line end, else it is '-' '-'
    ("a = 'it's'", {"a": "it"}, True),
    ("a = 007", {"a": "0"}, True),  # no octal: '0' then '07'
    ("a = 0x10", {"a": "0"}, True),  # no hex: '0' then the identifier x10
    ("a = 0L", {"a": "0"}, True),  # the L suffix is not allowed on 0
    ("a LIKE 'x%'", {"a": "x"}, False),  # no LIKE in 4.9.7: this is just "a"
    ("a CONTAINS 'x'", {"a": "xyz"}, False),  # CONTAINS arrived in 5.x
    ("my-prop = 'x'", {"my": "x"}, False),  # this is just "my"
    ("my-prop = 'x'", {}, None),
    ("a + 1 = 2", {"a": "1"}, False),  # no arithmetic
]

INVALID = [
    "", "   ", "-- only a comment\n",
    # incomplete
    "a >", "a =", "a = 'x", "BETWEEN 1 AND", "a BETWEEN 1 AND", "a BETWEEN 1", "a IS", "a IS NOT", "(a = 1",
    "a = ()", "( )", "+", "-", "a = +", "a = 1 AND", "a = 1 OR", "AND a = 1", "NOT",
    # IN takes a non-empty list of string literals, after a property
    "a IN ()", "a IN ('x',)", "a IN ('x'", "a IN 'x'", "a IN (1, 2)", "a IN (b)", "'a' IN ('a')",
    "a IN ('x') IN ('y')", "NOT a IN ('x')",
    # unknown operators / characters (lexed right after a complete expression, so not ignorable)
    "a != 1", "a == 1", "a % 2 = 0", "a * 2 > 1", "a / 2 > 1", "a = 1 #", "a.b = 1", "a = 1 /* open",
    "a\u00a0= 1", "a =\v1", "\u00e9 = 1", "a = 1 NOT x", "a NOT 5", "a NOT NULL", "a = 1 IS 5", "a IS NOT 5",
    "in = 1", "a = 1 AND not = 2",
    # not a boolean where one is needed (SelectorParser.asBooleanExpression)
    "5", "'x'", "-a", "- 5", "(5)", "NOT 5", "NOT 'x'", "a = 1 AND 5", "a = 1 OR 'x'",
    # only numbers, properties and negations around <, >, <=, >=, BETWEEN (checkLessThanOperand)
    "a > 'x'", "'x' < a", "a > TRUE", "a >= NULL", "(a = 1) > 0", "a > 1 > 0", "NOT a > 1",
    "NOT a BETWEEN 1 AND 2", "TRUE BETWEEN 1 AND 2", "'x' BETWEEN 1 AND 2", "a BETWEEN 1 AND 2 BETWEEN 3 AND 4",
    # the NULL literal needs IS [NOT] NULL; TRUE/FALSE left of another constant (checkEqualOperand...)
    "a = NULL", "NULL = a", "a <> NULL", "TRUE = 1", "(TRUE) = 'x'", "FALSE <> 'false'",
    # BETWEEN bounds when both are constants (createBetween)
    "a BETWEEN 10 AND 1", "a BETWEEN 2 AND 1.5", "a BETWEEN 3000000000 AND 5", "a BETWEEN NULL AND 1",
    "a BETWEEN 'a' AND 'b'", "a BETWEEN 1 AND TRUE",
    # literal ranges (ConstantExpression.createFromDecimal / createFloat: also refuses anything that is 0.0)
    "a > 0.0", "a > 0.", "a > .0e5", "a > 1e-400", "a > 1e309", "a > 9223372036854775808",
    "a = 100000000000000000000000",
    # too deep (Java: StackOverflowError, caught by SelectorParser.parse)
    "(" * 2000 + "a" + ")" * 2000,
]


@pytest.mark.parametrize("expr,props,expected", EVALUATE_CASES + TRAILING_CASES)
def test_evaluate_like_java(expr, props, expected):
    compiled = compile_expression(expr)
    if expected == ERROR:
        with pytest.raises(SqlEvaluationError):
            compiled.evaluate(props)
    else:
        result = compiled.evaluate(props)
        assert result is expected  # identity: True/False/None, never 1/0
    # Boolean.TRUE.equals(result): null, FALSE and errors all mean "skip the message"
    assert matches(compiled, props) is (expected is True)


@pytest.mark.parametrize("expr", INVALID)
def test_invalid_expressions_are_refused(expr):
    with pytest.raises(SqlParseError):
        compile_expression(expr)


@pytest.mark.parametrize("expr", [case[0] for case in TRAILING_CASES])
def test_strict_refuses_what_java_ignores(expr):
    with pytest.raises(SqlParseError, match="expected end of input"):
        compile_expression(expr, strict=True)


def test_strict_accepts_complete_expressions():
    for expr, props, expected in EVALUATE_CASES:
        compile_expression(expr + " -- trailing comment\n", strict=True)


def test_parse_error_is_a_value_error_that_points_at_the_problem():
    with pytest.raises(ValueError, match="column 7") as info:
        compile_expression("a = 1 # b")
    assert isinstance(info.value, SqlParseError)
    with pytest.raises(SqlParseError, match="column 8"):
        compile_expression("a IN ( 1 )")
    with pytest.raises(SqlParseError, match="unterminated string"):
        compile_expression("a = 'x")


def test_compiled_expression_is_reusable_across_messages():
    compiled = compile_expression("(region IN ('eu', 'us') AND price >= 10.5) OR vip = TRUE")
    messages = [{"region": "eu", "price": "11"}, {"region": "asia", "price": "99"}, {"vip": "true"}, {},
                {"region": "us", "price": "10.5"}, {"region": "us", "price": "cheap", "vip": "true"}]
    assert [matches(compiled, props) for props in messages] == [True, False, True, False, True, False]


def test_long_and_or_chains_do_not_recurse():
    # a 5000-term chain parses and evaluates flat; Java nests but gives the same results
    chain = " AND ".join(f"a{i} = '{i}'" for i in range(5000))
    props = {f"a{i}": str(i) for i in range(5000)}
    assert matches(compile_expression(chain), props)
    props["a4999"] = "x"
    assert compile_expression(chain).evaluate(props) is False
    assert compile_expression(" OR ".join(["a = '1'"] * 5000) + " OR b = '2'").evaluate({"b": "2"}) is True
