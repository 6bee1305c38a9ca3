"""JSON as Java RocketMQ peers write and read it (fastjson 1.x).

- `dumps`: compact, keys sorted (fastjson sorts bean fields; we sort maps too so output is stable),
  non-ASCII written raw. Integer map keys are written unquoted like fastjson's default (`{0:"a"}`) unless
  `quote_int_keys` (the BrowserCompatible form the 4.9.4+ namesrv sends for routes); tuple keys are
  written as JSON objects (fastjson's MessageQueue-keyed maps), given as tuples of (name, value) pairs.
- `loads`: strict JSON first; on failure a lenient parser that also accepts unquoted keys, single-quoted
  strings and object keys, the forms fastjson writes.
"""
from __future__ import annotations

import json
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


def _write(obj: Any, out: list[str], qik: bool, enc: json.JSONEncoder) -> None:
    if isinstance(obj, dict):
        out.append("{")
        first = True
        for k in sorted(obj, key=_key_sort):
            if not first:
                out.append(",")
            first = False
            if isinstance(k, str):
                out.append(enc.encode(k))
            elif isinstance(k, bool):
                out.append('"true"' if k else '"false"')
            elif isinstance(k, int):
                out.append(f'"{k}"' if qik else str(k))
            elif isinstance(k, tuple):
                _write(dict(k), out, qik, enc)
            else:
                out.append(enc.encode(str(k)))
            out.append(":")
            _write(obj[k], out, qik, enc)
        out.append("}")
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


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    text = bytes(data).decode("utf-8") if not isinstance(data, str) else data
    try:
        return json.loads(text)
    except ValueError:
        return _Lenient(text).parse()


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
