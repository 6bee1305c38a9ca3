"""ACL request signatures, as AclClientRPCHook signs and PlainAccessValidator checks them (pure functions).

The signed content is the values of every extField except `Signature`, in Java TreeMap<String> key order
(UTF-16 code units), concatenated without keys or separators, UTF-8 encoded, then the body's bytes. The
signature is Base64(HmacSHA1(secretKey, content)). The server leaves `_UNIQUE_KEY_QUERY` out for requests
of version <= V4_9_3 (399) only, the 5.x rule: 4.9.4+ clients sign it, older ones do not.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from typing import Mapping

ACCESS_KEY = "AccessKey"
SECRET_KEY = "SecretKey"
SIGNATURE = "Signature"
SECURITY_TOKEN = "SecurityToken"
UNIQUE_KEY_QUERY = "_UNIQUE_KEY_QUERY"
V4_9_3 = 399   # MQVersion ordinal: requests at or below it did not sign _UNIQUE_KEY_QUERY


def _java_str(v) -> str:
    if type(v) is str:
        return v
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _utf16_order(key: str) -> bytes:
    # TreeMap<String> compares UTF-16 code units; big-endian UTF-16 bytes sort the same way (Python's str
    # order differs only for characters outside the BMP against U+E000..U+FFFF)
    return key.encode("utf-16-be", "surrogatepass")


def _text(ext: Mapping[str, object] | None, skip_unique_key: bool) -> bytes:
    """The extFields part of the content: values in key order, Signature (and _UNIQUE_KEY_QUERY) left out."""
    if not ext:
        return b""
    keys = sorted(ext)
    if not "".join(keys).isascii():       # the common case sorts as Java does without a key function
        keys.sort(key=_utf16_order)
    values = []
    for key in keys:
        if key == SIGNATURE or (skip_unique_key and key == UNIQUE_KEY_QUERY):
            continue
        v = ext[key]
        values.append(v if type(v) is str else _java_str(v))
    text = "".join(values)
    if not text.isascii():
        # Java joins UTF-16 strings: a high surrogate ending one value and a low one starting the next make one
        # character there; String.getBytes(UTF-8) then writes '?' for each surrogate still alone
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return text.encode("utf-8", "replace")


def content(ext: Mapping[str, object] | None, body: bytes | memoryview | None, *,
            skip_unique_key: bool = False) -> bytes:
    """AclUtils.combineRequestContent over `ext` minus Signature (and _UNIQUE_KEY_QUERY if asked)."""
    data = _text(ext, skip_unique_key)
    return data + bytes(body) if body else data


def request_content(ext: Mapping[str, object] | None, body: bytes | memoryview | None, version: int) -> bytes:
    """The content the server checks a request's signature against (5.x DefaultAuthenticationContextBuilder)."""
    return content(ext, body, skip_unique_key=version <= V4_9_3)


def request_signature(secret_key: str, ext: Mapping[str, object] | None, body: bytes | memoryview | None,
                      version: int) -> str:
    """signature(secret, request_content(...)) without joining the body to the fields (hashed in two parts)."""
    return _sign_parts(secret_key, _text(ext, version <= V4_9_3), body)


@functools.lru_cache(maxsize=1024)
def _hmac_pads(secret_key: str) -> tuple:
    """HMAC-SHA1's inner and outer hash states after the key pads (RFC 2104), computed once per secret: a
    one-shot hmac.digest sets OpenSSL up again per call, five times the cost of the hashing itself."""
    key = secret_key.encode("utf-8", "replace")
    if len(key) > 64:
        key = hashlib.sha1(key).digest()
    key = key.ljust(64, b"\0")
    return (hashlib.sha1(bytes(b ^ 0x36 for b in key)), hashlib.sha1(bytes(b ^ 0x5C for b in key)))


def signature(secret_key: str, data: bytes) -> str:
    """Base64(HmacSHA1(secretKey UTF-8, data)), the standard alphabet with padding."""
    return _sign_parts(secret_key, data, None)


def _sign_parts(secret_key: str, head: bytes, tail: bytes | memoryview | None) -> str:
    inner, outer = _hmac_pads(secret_key)
    inner = inner.copy()
    inner.update(head)
    if tail:
        inner.update(tail)
    outer = outer.copy()
    outer.update(inner.digest())
    return base64.b64encode(outer.digest()).decode("ascii")


def signature_matches(expected: str, given: object) -> bool:
    """Constant-time comparison of the signature we computed with the one the request carries."""
    if type(given) is not str:
        return False
    return hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", "replace"))


def sign(ext: dict[str, str], body: bytes | memoryview | None, access_key: str, secret_key: str,
         security_token: str | None = None) -> dict[str, str]:
    """AclClientRPCHook.doBeforeRequest: add AccessKey (and SecurityToken), then Signature over every field.
    `ext` must already hold the custom header's fields; it is changed in place and returned."""
    ext[ACCESS_KEY] = access_key
    if security_token:
        ext[SECURITY_TOKEN] = security_token
    ext.pop(SIGNATURE, None)
    ext[SIGNATURE] = signature(secret_key, content(ext, body))
    return ext
