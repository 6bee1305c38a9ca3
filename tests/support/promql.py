"""A hand check of PromQL, enough for our rules and dashboard (no maintained PromQL parser on PyPI is worth a
dependency; promtool, when installed, is the full check): the metric names an expression selects, and the
mistakes a typo makes (unbalanced brackets, a bad matcher or regex, an unknown function, a bad duration)."""
from __future__ import annotations

import re

FUNCTIONS = {
    "abs", "absent", "absent_over_time", "avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min",
    "count_over_time", "day_of_month", "day_of_week", "deriv", "delta", "exp", "floor", "histogram_quantile",
    "holt_winters", "hour", "idelta", "increase", "irate", "label_join", "label_replace", "last_over_time", "ln",
    "log2", "log10", "max_over_time", "min_over_time", "minute", "month", "predict_linear", "present_over_time",
    "quantile_over_time", "rate", "resets", "round", "scalar", "sgn", "sort", "sort_desc", "sqrt",
    "stddev_over_time", "stdvar_over_time", "sum_over_time", "time", "timestamp", "vector", "year",
}
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
                "quantile"}
# keywords followed by a parenthesised list of label names
LABEL_LIST_KEYWORDS = ("by", "without", "on", "ignoring", "group_left", "group_right")
KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan", *LABEL_LIST_KEYWORDS}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*")\s*')
_VARIABLE = re.compile(r"\$\{[^}]*\}|\$[a-zA-Z_][a-zA-Z0-9_]*")
_DURATION = re.compile(r"^(\d+(ms|[smhdwy]))+$")


def strip_variables(expr: str) -> str:
    """Grafana's `$__rate_interval`, `$cluster`, `${datasource}` replaced by what PromQL would see."""
    expr = re.sub(r"\[\s*\$\{?__(rate_)?interval\}?\s*\]", "[5m]", expr)
    return _VARIABLE.sub("x", expr)


def metric_names(expr: str) -> set[str]:
    """Names of the series an expression selects (not functions, keywords or label names)."""
    text = _STRING.sub('""', strip_variables(expr))
    text = re.sub(r"\{[^{}]*\}", " ", text)                 # label matchers
    text = re.sub(r"\[[^\[\]]*\]", " ", text)               # ranges and subqueries
    kw = "|".join(LABEL_LIST_KEYWORDS)
    text = re.sub(rf"\b({kw})\s*\([^()]*\)", " ", text)     # by (a, b), on (), group_left (x)
    names = set()
    for m in re.finditer(r"(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", text):
        word, call = m.group(1), m.group(2)
        if call or word.lower() in KEYWORDS or word in FUNCTIONS | AGGREGATIONS:
            continue
        names.add(word)
    return names


def problems(expr: str) -> list[str]:
    """What is wrong with an expression; [] when this check finds nothing."""
    out: list[str] = []
    text = strip_variables(expr)
    for m in re.finditer(r"\{([^{}]*)\}", text):
        body = m.group(1).strip().rstrip(",")
        pos = 0
        while pos < len(body):
            mm = _MATCHER.match(body, pos)
            if not mm:
                out.append(f"bad label matcher in {{{body}}}")
                break
            if mm.group(2) in ("=~", "!~"):
                try:
                    re.compile(mm.group(3)[1:-1])
                except re.error as e:
                    out.append(f"bad regex {mm.group(3)}: {e}")
            pos = mm.end()
            if pos < len(body):
                if body[pos] != ",":
                    out.append(f"bad label matcher in {{{body}}}")
                    break
                pos += 1
    for m in re.finditer(r"\[([^\[\]]*)\]", _STRING.sub('""', text)):
        rng = m.group(1).replace(" ", "")
        parts = rng.split(":")
        if not _DURATION.match(parts[0]) or (len(parts) == 2 and parts[1] and not _DURATION.match(parts[1])):
            out.append(f"bad range [{m.group(1)}]")
    bare = _STRING.sub('""', text)
    depth = {"(": 0, "[": 0, "{": 0}
    close = {")": "(", "]": "[", "}": "{"}
    stack = []
    for ch in bare:
        if ch in depth:
            stack.append(ch)
        elif ch in close:
            if not stack or stack.pop() != close[ch]:
                out.append(f"unbalanced {ch!r}")
                break
    if stack:
        out.append(f"unclosed {stack[-1]!r}")
    for m in re.finditer(r"(?<![\w:.])([a-zA-Z_][a-zA-Z0-9_]*)\s*\(", bare):
        word = m.group(1)
        if word not in FUNCTIONS | AGGREGATIONS | set(LABEL_LIST_KEYWORDS) and word.lower() not in KEYWORDS:
            out.append(f"unknown function {word}()")
    if re.search(r"(==|!=|>=|<=|[<>+\-*/%^])\s*$", bare.strip()) or re.match(r"^\s*(==|!=|>=|<=|[<>*/%^])", bare):
        out.append("binary operator without an operand")
    return out
