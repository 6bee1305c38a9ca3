"""JSON as Java RocketMQ peers write and read it (fastjson 1.x).

- `dumps`: compact, keys sorted (fastjson sorts bean fields; we sort maps too so output is stable),
  non-ASCII written raw. Integer map keys are written unquoted like fastjson's default (`{0:"a"}`) unless
  `quote_int_keys` (the BrowserCompatible form the 4.9.4+ namesrv sends for routes); tuple keys are
  written as JSON objects (fastjson's MessageQueue-keyed maps), given as tuples of (name, value) pairs.
- `loads`: strict JSON first; on failure a lenient parser that also accepts unquoted keys, single-quoted
  strings and object keys, the forms fastjson writes.
"""
from __future__ import annotations

import functools
import json
import re
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any

_ENC = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_ENC_ASCII = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"))


def dumps(obj: Any, *, quote_int_keys: bool = False, ascii_only: bool = False) -> str:
    out: list[str] = []
    _write(obj, out, quote_int_keys, _ENC_ASCII if ascii_only else _ENC)
    return "".join(out)


def dumpb(obj: Any, **kw: Any) -> bytes:
    return dumps(obj, **kw).encode("utf-8")


def dumps_pretty(obj: Any) -> str:
    """fastjson's PrettyFormat as the broker writes config files: tab indentation, `"key":value`."""
    out: list[str] = []
    _pretty(obj, out, 0)
    return "".join(out)


def _pretty(obj: Any, out: list[str], depth: int) -> None:
    if hasattr(obj, "to_json"):
        obj = obj.to_json()
    if isinstance(obj, dict) and obj:
        # fastjson's MapSerializer starts a new indented line only before a String key; other keys follow
        # the comma directly ({0:622,1:631\n\t}), and the closing brace always gets its own line
        out.append("{")
        for i, k in enumerate(sorted(obj, key=_key_sort)):
            if i:
                out.append(",")
            if isinstance(k, str):
                out.append("\n" + "\t" * (depth + 1))
                out.append(_ENC.encode(k))
            elif isinstance(k, tuple):
                _write(dict(k), out, False, _ENC)
            else:
                out.append(str(k))
            out.append(":")
            _pretty(obj[k], out, depth + 1)
        out.append("\n" + "\t" * depth + "}")
    elif isinstance(obj, (list, tuple, set, frozenset)) and obj:
        out.append("[\n")
        items = list(obj)
        for i, v in enumerate(items):
            out.append("\t" * (depth + 1))
            _pretty(v, out, depth + 1)
            out.append(",\n" if i < len(items) - 1 else "\n")
        out.append("\t" * depth + "]")
    else:
        _write(obj, out, False, _ENC)


def _key_sort(k: Any) -> tuple:
    return (0, k, "") if isinstance(k, (int, float)) and not isinstance(k, bool) else (1, 0, str(k))


class Raw(str):
    """A JSON fragment already written (by `offset_table`, say): `dumps` puts it in as it is."""


def offset_table(table: dict[tuple, tuple[int, int, int]]) -> Raw:
    """A MessageQueue-keyed map of OffsetWrapper ({brokerOffset, consumerOffset, lastTimestamp}) written as
    `_write` would write it, with each entry as one format: a broker's consume stats hold tens of thousands."""
    parts = [f'{_tuple_key(mq, False, False)}:{{"brokerOffset":{b},"consumerOffset":{c},"lastTimestamp":{t}}}'
             for mq, (b, c, t) in sorted(table.items(), key=lambda kv: str(kv[0]))]
    return Raw("{" + ",".join(parts) + "}")


def _write(obj: Any, out: list[str], qik: bool, enc: json.JSONEncoder) -> None:
    # The common types are tested by exact type first and strings escaped by json's C functions (what
    # JSONEncoder.encode calls for a str): the same bytes as enc.encode, without its per-call overhead (a
    # broker's consume stats of 200 groups is tens of thousands of values).
    t = type(obj)
    if t is Raw:
        out.append(obj)
    elif t is str:
        out.append(_c_string(enc)(obj))
    elif t is int:
        out.append(int.__repr__(obj))
    elif t is dict:
        _write_dict(obj, out, qik, enc)
    elif obj is None or t is bool:
        out.append("null" if obj is None else ("true" if obj else "false"))
    elif isinstance(obj, dict):
        _write_dict(obj, out, qik, enc)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        out.append("[")
        for i, v in enumerate(obj):
            if i:
                out.append(",")
            _write(v, out, qik, enc)
        out.append("]")
    elif hasattr(obj, "to_json"):
        _write(obj.to_json(), out, qik, enc)
    else:
        out.append(enc.encode(obj))


def _c_string(enc: json.JSONEncoder):
    return encode_basestring_ascii if enc.ensure_ascii else encode_basestring


_PLANS: dict[tuple, tuple[tuple[str, str], ...]] = {}
_PLAN_KEYS_MAX = 16         # records (a few string keys) repeat their shape; bigger maps are tables, not planned


def _write_dict(obj: dict, out: list[str], qik: bool, enc: json.JSONEncoder) -> None:
    if len(obj) <= _PLAN_KEYS_MAX and all(type(k) is str for k in obj):
        # a record: its sorted keys, each with its separator and quoted name, worked out once per shape
        shape = (tuple(obj), enc.ensure_ascii)
        plan = _PLANS.get(shape)
        if plan is None:
            string = _c_string(enc)
            plan = tuple((k, ("{" if i == 0 else ",") + string(k) + ":") for i, k in enumerate(sorted(obj)))
            if len(_PLANS) >= 4096:
                _PLANS.clear()
            _PLANS[shape] = plan
        if not plan:
            out.append("{}")
            return
        for k, prefix in plan:
            out.append(prefix)
            _write(obj[k], out, qik, enc)
        out.append("}")
        return
    out.append("{")
    first = True
    string = _c_string(enc)
    if all(type(k) is str for k in obj):
        keys = sorted(obj)
    elif all(type(k) is tuple for k in obj):
        keys = sorted(obj, key=str)             # _key_sort's order for tuples, by a C key function
    else:
        keys = sorted(obj, key=_key_sort)
    for k in keys:
        if not first:
            out.append(",")
        first = False
        if isinstance(k, str):
            out.append(string(k))
        elif isinstance(k, bool):
            out.append('"true"' if k else '"false"')
        elif isinstance(k, int):
            out.append(f'"{k}"' if qik else str(k))
        elif isinstance(k, tuple):
            out.append(_tuple_key(k, qik, enc.ensure_ascii))
        else:
            out.append(enc.encode(str(k)))
        out.append(":")
        _write(obj[k], out, qik, enc)
    out.append("}")


@functools.lru_cache(maxsize=65536)
def _tuple_key(k: tuple, qik: bool, ascii_only: bool) -> str:
    """An object map key (a MessageQueue) written once: the same queues come back in every stats answer."""
    out: list[str] = []
    _write_dict(dict(k), out, qik, _ENC_ASCII if ascii_only else _ENC)
    return "".join(out)


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """A peer's JSON; anything that is not (a body is whatever a peer sent) raises ValueError, nothing else."""
    text = bytes(data).decode("utf-8") if not isinstance(data, str) else data
    try:
        try:
            return json.loads(text)
        except ValueError:
            pass
        try:
            return _keys_quoted(text)
        except ValueError:
            return _Lenient(text).parse()
    except RecursionError:
        raise ValueError("JSON nested too deep") from None


# fastjson's two non-standard key forms, found outside strings (a string is matched whole first, so nothing
# inside one is touched): a flat object as a key ({"brokerName":..}:) and a bare integer key ({0:5,1:7})
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"'
                     r'|(?<=[{,])(\s*)(\{[^{}"]*(?:"(?:[^"\\]|\\.)*"[^{}"]*)*\})(?=\s*:)'
                     r'|(?<=[{,])(\s*)(-?\d+)(?=\s*:)')
_OBJ_KEY, _INT_KEY = "\x00K", "\x00I"


def _quote_key(m: re.Match) -> str:
    if m.group(2) is not None:
        return m.group(1) + json.dumps(_OBJ_KEY + m.group(2))
    if m.group(4) is not None:
        return m.group(3) + '"' + _INT_KEY + m.group(4) + '"'
    return m.group(0)


def _unquote_keys(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k.startswith(_OBJ_KEY):
            k = tuple(sorted(json.loads(k[2:]).items()))
        elif k.startswith(_INT_KEY):
            k = int(k[2:])
        out[k] = v
    return out


def _keys_quoted(text: str) -> Any:
    """The lenient parser's answer for the usual fastjson forms, at the C parser's speed: the odd keys are
    quoted with a marker, parsed, and turned back into tuples and ints (a broker's consume stats of 200
    groups is a megabyte). Anything else (single quotes, bare words) raises ValueError for the full parser."""
    if "\\u0000" in text:
        raise ValueError("a NUL escape: the markers could be ambiguous")
    return json.loads(_TOKENS.sub(_quote_key, text), object_pairs_hook=_unquote_keys)


class _Lenient:
    """Recursive-descent parser for fastjson's non-standard output. Object keys become tuples of pairs."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def parse(self) -> Any:
        v = self.value()
        self.ws()
        if self.i != len(self.s):
            self.fail("trailing characters")
        return v

    def fail(self, what: str) -> None:
        raise ValueError(f"{what} at position {self.i}")

    def ws(self) -> None:
        s, n = self.s, len(self.s)
        while self.i < n and s[self.i] in " \t\r\n":
            self.i += 1

    def peek(self) -> str:
        self.ws()
        return self.s[self.i] if self.i < len(self.s) else ""

    def value(self) -> Any:
        c = self.peek()
        if not c:
            self.fail("unexpected end")     # ("" is in every string: the tests below would take it for a quote)
        if c == "{":
            return self.obj()
        if c == "[":
            return self.arr()
        if c in "\"'":
            return self.string()
        return self.bare()

    def obj(self) -> dict:
        self.i += 1
        out: dict = {}
        if self.peek() == "}":
            self.i += 1
            return out
        while True:
            c = self.peek()
            if not c:
                self.fail("unexpected end")
            if c == "{":
                key: Any = tuple(sorted(self.obj().items()))
            elif c in "\"'":
                key = self.string()
            else:
                key = self.bare()
            if self.peek() != ":":
                self.fail("expected ':'")
            self.i += 1
            out[key] = self.value()
            c = self.peek()
            self.i += 1
            if c == "}":
                return out
            if c != ",":
                self.fail("expected ',' or '}'")

    def arr(self) -> list:
        self.i += 1
        out: list = []
        if self.peek() == "]":
            self.i += 1
            return out
        while True:
            out.append(self.value())
            c = self.peek()
            self.i += 1
            if c == "]":
                return out
            if c != ",":
                self.fail("expected ',' or ']'")

    def string(self) -> str:
        q = self.s[self.i]
        j = self.i + 1
        buf: list[str] = []
        s = self.s
        while True:
            if j >= len(s):
                self.fail("unterminated string")
            c = s[j]
            if c == q:
                self.i = j + 1
                return "".join(buf)
            if c == "\\":
                if q == '"':
                    # reuse the standard decoder for one escape sequence
                    end = j + (6 if s[j + 1:j + 2] == "u" else 2)
                    buf.append(json.loads('"' + s[j:end] + '"'))
                    j = end
                    continue
                if j + 1 >= len(s):
                    self.fail("unterminated string")
                buf.append(s[j + 1])
                j += 2
                continue
            buf.append(c)
            j += 1

    def bare(self) -> Any:
        j = self.i
        s = self.s
        while j < len(s) and s[j] not in ",:}] \t\r\n":
            j += 1
        tok = s[self.i:j]
        if not tok:
            self.fail("expected a value")
        self.i = j
        if tok == "true":
            return True
        if tok == "false":
            return False
        if tok == "null":
            return None
        try:
            return int(tok)
        except ValueError:
            pass
        try:
            return float(tok)
        except ValueError:
            return tok  # an unquoted identifier key


def java_string(value: Any) -> str | None:
    """JSONObject.getString / fastjson's String conversion: null stays null, a boolean is true/false, anything
    else (a YAML or JSON number: secretKey: 12345678) its digits."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
