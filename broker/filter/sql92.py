"""The SQL92 message filter exactly as RocketMQ 4.9.7 parses and evaluates it.

Sources (rocketmq-all-4.9.7, module filter/): the grammar is parser/SelectorParser.jj, but what runs is the
generated SelectorParser.java / SelectorParserTokenManager.java, so lexing follows the token manager; the
semantics follow expression/ComparisonExpression.java, LogicExpression.java, UnaryExpression.java,
ConstantExpression.java, BooleanConstantExpression.java and PropertyExpression.java.

Java quirks kept on purpose, because a Java broker behaves this way for the same subscription:
- The start rule has no <EOF>: parsing stops after one OR-expression and the rest of the text is ignored, as
  long as the one token right after it lexes (``a = 1 b`` is ``a = 1``; ``a = 1 #`` fails). ``strict=True``
  rejects the rest instead.
- NOT binds tighter than comparisons (``NOT a = 'x'`` is ``(NOT a) = 'x'``).
- Evaluation can fail (Java RuntimeException, e.g. a non-numeric property against a number); the broker
  (ExpressionMessageFilter.isMatchedByCommitLog) then treats the message as not matching.
Not reproduced: Java refuses nesting only when its thread stack overflows (past ~1000 parentheses); here the
limit is Python's recursion limit (~160 parentheses).
"""
from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping
from typing import NoReturn

__all__ = ["Expression", "BooleanExpression", "SqlParseError", "SqlEvaluationError", "compile_expression",
           "matches"]


class SqlParseError(ValueError):
    """The expression is rejected (Java MQFilterException "Invalid MessageSelector.")."""


class SqlEvaluationError(Exception):
    """Java's evaluate() threw for this message; the broker counts that as no match."""


class _Long(int):
    """A Java Long constant. Integer and Long literals convert property strings with different ranges
    (Integer.valueOf vs Long.valueOf in ComparisonExpression.__compare), so the type must survive."""
    __slots__ = ()


_INT_MIN, _INT_MAX = -(1 << 31), (1 << 31) - 1
_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1
_DOUBLE_MIN_VALUE = 5e-324  # Java Double.MIN_VALUE, the smallest positive double


# ---------------------------------------------------------------------------------------------------------
# Java's String -> number/boolean conversions (they decide whether '10' compares with 5)

_JAVA_INT = re.compile(r"[+-]?\d+")  # Integer.parseInt: Character.digit accepts any Unicode decimal digit
_JAVA_DOUBLE = re.compile(r"[+-]?(?:NaN|Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?)")
_JAVA_HEX_DOUBLE = re.compile(r"([+-]?)0[xX](?:[0-9a-fA-F]+\.?|[0-9a-fA-F]*\.[0-9a-fA-F]+)[pP][+-]?[0-9]+[fFdD]?")
_JAVA_TRIM = "".join(map(chr, range(0x21)))  # String.trim() strips every char <= ' '


def _number_format_error(s: str) -> SqlEvaluationError:
    return SqlEvaluationError(f'java.lang.NumberFormatException: For input string: "{s}"')


def _parse_java_int(s: str, long: bool) -> int:
    """Integer.valueOf / Long.valueOf: sign and digits only, no blanks, range-checked."""
    # Python's int() would also take blanks, '_' and astral digits; Java reads UTF-16 chars, so no astral.
    if not _JAVA_INT.fullmatch(s) or max(s) >= "\U00010000" or len(s.lstrip("+-").lstrip("0")) > 19:
        raise _number_format_error(s)
    value = int(s)
    lo, hi = (_LONG_MIN, _LONG_MAX) if long else (_INT_MIN, _INT_MAX)
    if not lo <= value <= hi:
        raise _number_format_error(s)
    return _Long(value) if long else value


def _parse_java_double(s: str) -> float:
    """Double.valueOf: trimmed; 'NaN'/'Infinity' exactly; decimal or hex (p exponent); optional f/d suffix."""
    s = s.strip(_JAVA_TRIM)
    if _JAVA_DOUBLE.fullmatch(s):
        return float(s.rstrip("fFdD"))
    hexed = _JAVA_HEX_DOUBLE.fullmatch(s)
    if hexed:
        try:
            return float.fromhex(s.rstrip("fFdD"))
        except OverflowError:  # Java rounds a huge binary exponent to infinity instead of failing
            return -math.inf if hexed.group(1) == "-" else math.inf
    raise _number_format_error(s)


def _compare_doubles(a: float, b: float) -> int:
    """Double.compareTo: NaN is above everything and equals itself, -0.0 < 0.0."""
    if a < b:
        return -1
    if a > b:
        return 1
    a_nan, b_nan = a != a, b != b
    if a_nan or b_nan:
        return a_nan - b_nan
    a_sign, b_sign = math.copysign(1.0, a), math.copysign(1.0, b)
    return (a_sign > b_sign) - (a_sign < b_sign)


def _java_compare(lv: object, rv: object) -> int:
    """ComparisonExpression.__compare with convertStringExpressions on (SelectorParser.parse sets it): values
    of different types are converted towards the other side; a pair it cannot convert compares as -1."""
    lt, rt = type(lv), type(rv)
    if lt is not rt:
        if lt is bool:
            if rt is str:  # Java casts the Boolean itself to String here: ClassCastException
                raise SqlEvaluationError("java.lang.ClassCastException: Boolean cannot be cast to String")
            return -1
        if lt is int or lt is _Long:
            if rt is float:
                lv = float(lv)
            elif rt is str:
                rv = _parse_java_int(rv, lt is _Long)
            elif rt is not int and rt is not _Long:  # Integer vs Long compares as longs
                return -1
        elif lt is float:
            if rt is int or rt is _Long:
                rv = float(rv)
            elif rt is str:
                rv = _parse_java_double(rv)
            else:
                return -1
        elif lt is str:
            if rt is bool:
                lv = lv.lower() == "true"  # Boolean.valueOf: anything but "true" (any case) is false
            elif rt is int or rt is _Long:
                lv = _parse_java_int(lv, rt is _Long)
            elif rt is float:
                lv = _parse_java_double(lv)
            else:
                return -1
        else:
            return -1
    if type(lv) is float:
        return _compare_doubles(lv, rv)
    return (lv > rv) - (lv < rv)


# ---------------------------------------------------------------------------------------------------------
# Expression tree; evaluate() returns what Java's evaluate() returns (None for Java null)

class Expression:
    __slots__ = ()

    def evaluate(self, props: Mapping[str, str]) -> object:
        raise NotImplementedError


class BooleanExpression(Expression):
    """Java BooleanExpression: the only kind AND/OR/NOT and the whole selector accept."""
    __slots__ = ()


class _Constant(Expression):
    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def evaluate(self, props: Mapping[str, str]) -> object:
        return self.value

    def __str__(self) -> str:
        v = self.value
        if v is None:
            return "NULL"
        if type(v) is bool:
            return "TRUE" if v else "FALSE"
        if type(v) is str:
            return "'" + v.replace("'", "''") + "'"
        return str(v)


class _BooleanConstant(_Constant, BooleanExpression):
    """TRUE, FALSE and NULL literals (BooleanConstantExpression): usable where a boolean is required."""
    __slots__ = ()


class _Property(Expression):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def evaluate(self, props: Mapping[str, str]) -> object:
        return props.get(self.name)

    def __str__(self) -> str:
        return self.name


class _Negate(Expression):
    """Unary minus (UnaryExpression.createNegate): numbers only, anything else (property strings) -> null.
    Deliberately not a constant, so '-5' escapes the parse-time checks that constants get."""
    __slots__ = ("operand",)

    def __init__(self, operand: Expression) -> None:
        self.operand = operand

    def evaluate(self, props: Mapping[str, str]) -> object:
        v = self.operand.evaluate(props)
        t = type(v)
        if t is int or t is float:
            return -v
        if t is _Long:
            return _Long(-v)
        return None

    def __str__(self) -> str:
        return f"(- {self.operand})"


class _BooleanCast(BooleanExpression):
    """A bare property used as a boolean: null stays null, a non-Boolean value (every property string) is
    FALSE, so ``flag`` never matches even when flag is 'true' (UnaryExpression.createBooleanCast)."""
    __slots__ = ("operand",)

    def __init__(self, operand: Expression) -> None:
        self.operand = operand

    def evaluate(self, props: Mapping[str, str]) -> object:
        v = self.operand.evaluate(props)
        if v is None:
            return None
        return v if type(v) is bool else False

    def __str__(self) -> str:
        return str(self.operand)


class _Not(BooleanExpression):
    __slots__ = ("operand",)

    def __init__(self, operand: BooleanExpression) -> None:
        self.operand = operand

    def evaluate(self, props: Mapping[str, str]) -> object:
        v = self.operand.evaluate(props)
        return None if v is None else not v

    def __str__(self) -> str:
        return f"(NOT {self.operand})"


class _Logic(BooleanExpression):
    """AND / OR chains, left to right with short circuit (LogicExpression.createAND/createOR): the decisive
    value (FALSE for AND, TRUE for OR) wins, else null wins. A chain is kept flat: evaluating (a AND b) AND c
    this way gives the same results, errors included."""
    __slots__ = ("operands", "decisive")

    def __init__(self, operands: tuple[BooleanExpression, ...], decisive: bool) -> None:
        self.operands = operands
        self.decisive = decisive

    def evaluate(self, props: Mapping[str, str]) -> object:
        unknown = False
        for operand in self.operands:
            v = operand.evaluate(props)
            if v is None:
                unknown = True
            elif bool(v) is self.decisive:
                return self.decisive
        return None if unknown else not self.decisive

    def __str__(self) -> str:
        return "(" + (" || " if self.decisive else " && ").join(map(str, self.operands)) + ")"


def _And(operands: tuple[BooleanExpression, ...]) -> _Logic:
    return _Logic(operands, decisive=False)


def _Or(operands: tuple[BooleanExpression, ...]) -> _Logic:
    return _Logic(operands, decisive=True)


class _Equal(BooleanExpression):
    """= and IS NULL (ComparisonExpression.doCreateEqual). Null handling is asymmetric: a null left side
    gives null, a null right side gives FALSE, both null gives TRUE."""
    __slots__ = ("left", "right")

    def __init__(self, left: Expression, right: Expression) -> None:
        self.left, self.right = left, right

    def evaluate(self, props: Mapping[str, str]) -> object:
        lv = self.left.evaluate(props)
        rv = self.right.evaluate(props)
        if lv is None:
            return True if rv is None else None
        if rv is None:
            return False
        return _java_compare(lv, rv) == 0

    def __str__(self) -> str:
        return f"({self.left} == {self.right})"


_ORDER_TESTS: dict[str, Callable[[int], bool]] = {
    ">": lambda c: c > 0, ">=": lambda c: c >= 0, "<": lambda c: c < 0, "<=": lambda c: c <= 0,
}


class _Ordered(BooleanExpression):
    """>, >=, <, <= (ComparisonExpression.evaluate): null on either side gives null; two strings (two
    properties) are both read as doubles; otherwise __compare converts the string to the number's type."""
    __slots__ = ("left", "right", "symbol", "test")

    def __init__(self, symbol: str, left: Expression, right: Expression) -> None:
        self.symbol, self.left, self.right = symbol, left, right
        self.test = _ORDER_TESTS[symbol]

    def evaluate(self, props: Mapping[str, str]) -> object:
        lv = self.left.evaluate(props)
        if lv is None:
            return None
        rv = self.right.evaluate(props)
        if rv is None:
            return None
        if type(lv) is str and type(rv) is str:
            return self.test(_compare_doubles(_parse_java_double(lv), _parse_java_double(rv)))
        return self.test(_java_compare(lv, rv))

    def __str__(self) -> str:
        return f"({self.left} {self.symbol} {self.right})"


class _In(BooleanExpression):
    """[NOT] IN: string membership only; a missing property gives null for both forms."""
    __slots__ = ("operand", "values", "negated")

    def __init__(self, operand: _Property, values: list[str], negated: bool) -> None:
        self.operand, self.values, self.negated = operand, frozenset(values), negated

    def evaluate(self, props: Mapping[str, str]) -> object:
        v = self.operand.evaluate(props)
        if type(v) is not str:
            return None
        return (v in self.values) != self.negated

    def __str__(self) -> str:
        return f"{self.operand} {'NOT IN' if self.negated else 'IN'} ( {', '.join(sorted(self.values))} )"


# ---------------------------------------------------------------------------------------------------------
# Parse-time checks and constructors (ComparisonExpression.create*, SelectorParser.asBooleanExpression)

def _is_number(value: object) -> bool:
    return type(value) in (int, _Long, float)


def _as_boolean(e: Expression) -> BooleanExpression:
    if isinstance(e, BooleanExpression):
        return e
    if isinstance(e, _Property):
        return _BooleanCast(e)
    raise SqlParseError(f"Expression will not result in a boolean value: {e}")


def _check_ordered_operand(e: Expression) -> None:
    # Only numeric constants, properties and negations may meet <, >, <=, >= (checkLessThanOperand).
    if (isinstance(e, _Constant) and not _is_number(e.value)) or isinstance(e, BooleanExpression):
        raise SqlParseError(f"Value '{e}' cannot be compared.")


def _ordered(symbol: str, left: Expression, right: Expression) -> _Ordered:
    _check_ordered_operand(left)
    _check_ordered_operand(right)
    return _Ordered(symbol, left, right)


def _equal(left: Expression, right: Expression) -> _Equal:
    for e in (left, right):  # checkEqualOperand: the NULL literal needs IS [NOT] NULL
        if isinstance(e, _Constant) and e.value is None:
            raise SqlParseError(f"'{e}' cannot be compared.")
    # checkEqualOperandCompatability: only TRUE/FALSE on the left of a non-boolean constant is refused
    if isinstance(left, _BooleanConstant) and isinstance(right, _Constant) \
            and not isinstance(right, _BooleanConstant):
        raise SqlParseError(f"'{left}' cannot be compared with '{right}'")
    return _Equal(left, right)


def _between(value: Expression, low: Expression, high: Expression) -> BooleanExpression:
    # createBetween checks low <= high only when both are constants (so '-1' escapes the check)
    if isinstance(low, _Constant) and isinstance(high, _Constant):
        if low.value is None or high.value is None:
            raise SqlParseError("Illegal values of between, values can not be null!")
        try:
            order = _java_compare(high.value, low.value)
        except SqlEvaluationError as e:
            raise SqlParseError(f"Illegal values of between: {e}") from None
        if order < 0:
            raise SqlParseError(f"Illegal values of between, left value({low}) must less than or equal to "
                                f"right value({high})")
    return _And((_ordered(">=", value, low), _ordered("<=", value, high)))


def _not_between(value: Expression, low: Expression, high: Expression) -> BooleanExpression:
    # createNotBetween has no low <= high check
    return _Or((_ordered("<", value, low), _ordered(">", value, high)))


def _in(value: Expression, values: list[str], negated: bool) -> _In:
    if not isinstance(value, _Property):
        raise SqlParseError(f"Expected a property for In expression, got: {value}")
    return _In(value, values, negated)


def _decimal_literal(text: str) -> _Constant:
    # createFromDecimal: strip l/L, must fit a Long, narrowed to Integer when it fits one
    digits = text.rstrip("lL")
    value = int(digits) if len(digits) <= 19 else _LONG_MAX + 1
    if value > _LONG_MAX:
        raise SqlParseError(f"Number too large for a long: {text}")
    return _Constant(value if value <= _INT_MAX else _Long(value))


def _float_literal(text: str) -> _Constant:
    # createFloat refuses infinity and, comparing with Double.MIN_VALUE, also every literal that is 0.0
    value = float(text)
    if value == math.inf:
        raise SqlParseError(f"{text} is greater than {1.7976931348623157e308!r}")
    if value < _DOUBLE_MIN_VALUE:
        raise SqlParseError(f"{text} is less than {_DOUBLE_MIN_VALUE!r}")
    return _Constant(value)


# ---------------------------------------------------------------------------------------------------------
# Lexer (SelectorParserTokenManager): longest match; each alternative below is ordered so that the first
# one that matches is also the longest. Only " \t\n\r\f" are blanks; a "--" comment needs its line end.

_TOKEN = re.compile(r"""
    (?P<skip> [ \t\n\r\f]+ | --[^\n\r]*(?:\r\n|\n|\r) | /\*[^*]*\*+(?:[^*/][^*]*\*+)*/ )
  | (?P<FLOAT> [0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)? | \.[0-9]+(?:[eE][+-]?[0-9]+)? | [0-9]+[eE][+-]?[0-9]+ )
  | (?P<INT> 0 | [1-9][0-9]*[lL]? )
  | (?P<STRING> '(?:''|[^'])*' )
  | (?P<ID> [A-Za-z_$][A-Za-z0-9_$]* )
  | (?P<OP> <> | <= | >= | [=<>(),+-] )
""", re.VERBOSE)

_KEYWORDS = frozenset({"NOT", "AND", "OR", "BETWEEN", "IN", "TRUE", "FALSE", "NULL", "IS"})  # any case


class _Token:
    __slots__ = ("kind", "text", "pos")

    def __init__(self, kind: str, text: str, pos: int) -> None:
        self.kind, self.text, self.pos = kind, text, pos  # kind: keyword, INT/FLOAT/STRING/ID, operator, EOF

    def __str__(self) -> str:
        return "end of input" if self.kind == "EOF" else f"'{self.text}' at column {self.pos + 1}"


class _Parser:
    """Recursive descent over SelectorParser.jj's rules. Tokens are lexed only when the parser looks at them,
    as JavaCC does: text after the last token Java looks at is never lexed, so it cannot fail."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0
        self._ahead: _Token | None = None

    def _lex(self) -> _Token:
        text, pos = self._text, self._pos
        while True:
            if pos >= len(text):
                return _Token("EOF", "", pos)
            m = _TOKEN.match(text, pos)
            if m is None:
                what = {"'": "unterminated string literal", "/": "unterminated comment or '/'"}.get(
                    text[pos], f"unexpected character {text[pos]!r}")
                raise SqlParseError(f"Lexical error at column {pos + 1}: {what}")
            self._pos = pos = m.end()
            kind = m.lastgroup
            if kind != "skip":
                break
        word = m.group()
        if kind == "ID" and word.upper() in _KEYWORDS:
            kind = word.upper()
        elif kind == "OP":
            kind = word
        return _Token(kind, word, m.start())

    def _peek(self) -> str:
        if self._ahead is None:
            self._ahead = self._lex()
        return self._ahead.kind

    def _take(self) -> _Token:
        self._peek()
        tok, self._ahead = self._ahead, None
        return tok

    def _expect(self, kind: str, what: str) -> _Token:
        if self._peek() != kind:
            self._fail(what)
        return self._take()

    def _fail(self, what: str) -> NoReturn:
        self._peek()
        raise SqlParseError(f"Encountered {self._ahead} but expected {what}")

    def parse(self, strict: bool) -> BooleanExpression:
        e = _as_boolean(self._or())
        if strict and self._peek() != "EOF":
            self._fail("end of input")
        return e

    def _or(self) -> Expression:
        return self._logic("OR", self._and, _Or)

    def _and(self) -> Expression:
        return self._logic("AND", self._equality, _And)

    def _logic(self, keyword: str, operand, node) -> Expression:
        """`operand (keyword operand)*`: a single operand stays as it is (it need not be boolean yet)."""
        left = operand()
        if self._peek() != keyword:
            return left
        operands = [_as_boolean(left)]
        while self._peek() == keyword:
            self._take()
            operands.append(_as_boolean(operand()))
        return node(tuple(operands))

    def _equality(self) -> Expression:
        left = self._comparison()
        while (kind := self._peek()) in ("=", "<>", "IS"):
            self._take()
            if kind == "=":
                left = _equal(left, self._comparison())
            elif kind == "<>":
                left = _Not(_equal(left, self._comparison()))
            elif self._peek() == "NULL":
                self._take()
                left = _Equal(left, _BooleanConstant(None))  # createIsNull skips the operand checks
            else:
                self._expect("NOT", "NULL or NOT NULL after IS")
                self._expect("NULL", "NULL after IS NOT")
                left = _Not(_Equal(left, _BooleanConstant(None)))
        return left

    def _comparison(self) -> Expression:
        left = self._unary()
        while (kind := self._peek()) in (">", ">=", "<", "<=", "BETWEEN", "IN", "NOT"):
            self._take()
            negated = kind == "NOT"
            if negated:
                kind = self._peek()
                if kind not in ("BETWEEN", "IN"):
                    self._fail("BETWEEN or IN after NOT")
                self._take()
            if kind == "BETWEEN":
                low = self._unary()
                self._expect("AND", "AND in BETWEEN")
                high = self._unary()
                left = (_not_between if negated else _between)(left, low, high)
            elif kind == "IN":
                left = _in(left, self._string_list(), negated)
            else:
                left = _ordered(kind, left, self._unary())
        return left

    def _string_list(self) -> list[str]:
        self._expect("(", "'(' after IN")
        values = [self._string()]
        while self._peek() == ",":
            self._take()
            values.append(self._string())
        self._expect(")", "',' or ')' in the IN list")
        return values

    def _string(self) -> str:
        return self._expect("STRING", "a string literal").text[1:-1].replace("''", "'")

    def _unary(self) -> Expression:
        kind = self._peek()
        if kind == "+":  # unary plus is dropped by the grammar
            self._take()
            return self._unary()
        if kind == "-":
            self._take()
            return _Negate(self._unary())
        if kind == "NOT":
            self._take()
            return _Not(_as_boolean(self._unary()))
        return self._primary()

    def _primary(self) -> Expression:
        kind = self._peek()
        if kind == "(":
            self._take()
            e = self._or()
            self._expect(")", "')'")
            return e  # parentheses leave no node: '(TRUE) = 1' is refused like 'TRUE = 1'
        if kind == "ID":
            return _Property(self._take().text)
        if kind == "STRING":
            return _Constant(self._string())
        if kind == "INT":
            return _decimal_literal(self._take().text)
        if kind == "FLOAT":
            return _float_literal(self._take().text)
        if kind in ("TRUE", "FALSE", "NULL"):
            self._take()
            return _BooleanConstant({"TRUE": True, "FALSE": False, "NULL": None}[kind])
        self._fail("a literal, a property name, '(', '+', '-' or NOT")


# Cached like SelectorParser's PARSE_CACHE: every pull recompiles its text, and compiled trees are immutable.
@functools.lru_cache(maxsize=128)
def compile_expression(text: str, *, strict: bool = False) -> BooleanExpression:
    """Parse an SQL92 subscription. Raises SqlParseError for whatever Java's SelectorParser.parse rejects;
    with strict=True, text after the expression is rejected too (Java ignores it)."""
    try:
        return _Parser(text).parse(strict)
    except RecursionError:  # Java: StackOverflowError, caught as Throwable by SelectorParser.parse
        raise SqlParseError("Invalid MessageSelector: expression nested too deeply") from None


def matches(expr: Expression, props: Mapping[str, str]) -> bool:
    """What the broker does with a message: only a Boolean TRUE result matches; null and errors don't."""
    try:
        return expr.evaluate(props) is True
    except (SqlEvaluationError, RecursionError):  # Java: the broker catches Throwable and skips the message
        return False
