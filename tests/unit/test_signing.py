"""remoting/signing.py against the facts sheet's algorithm (reference/acl.md §3-4): sort the extField keys as Java's
TreeMap<String> does (UTF-16 code units), drop `Signature`, concatenate the values, UTF-8, append the body,
Base64(HmacSHA1(secretKey, ...)). An independent implementation written here from that text is compared on random
fields (non-ASCII, non-BMP keys and values, empty values) and bodies; the fixed vectors below were computed by hand
with `printf CONTENT | openssl dgst -sha1 -hmac SECRET -binary | base64`, not with Python."""
from __future__ import annotations

import base64
import hashlib
import hmac
import struct

from hypothesis import given, settings, strategies as st

from remoting import signing


def utf16_units(s: str) -> list[int]:
    """The UTF-16 code units of s (what java.lang.String.compareTo compares)."""
    raw = s.encode("utf-16-le")
    return list(struct.unpack(f"<{len(raw) // 2}H", raw))


def reference_content(ext: dict[str, str], body: bytes, skip: tuple[str, ...] = ("Signature",)) -> bytes:
    keys = sorted(ext, key=utf16_units)
    return "".join(ext[k] for k in keys if k not in skip).encode("utf-8") + body


def reference_signature(secret: str, data: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), data, hashlib.sha1).digest()).decode()


# BMP letters, CJK, the U+E000..U+FFFF block (where Python's code-point order and Java's UTF-16 order disagree
# against supplementary characters), supplementary characters, and ASCII the wire fields use
chars = st.one_of(st.characters(min_codepoint=0x20, max_codepoint=0x7E),
                  st.characters(min_codepoint=0x4E00, max_codepoint=0x4E20),
                  st.characters(min_codepoint=0xE000, max_codepoint=0xFFFD),
                  st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, exclude_categories=("Cs",)),
                  st.characters(exclude_categories=("Cs",)))
texts = st.text(chars, max_size=12)
fields = st.dictionaries(texts, texts, max_size=10)
bodies = st.one_of(st.just(b""), st.binary(max_size=300))
# HMAC hashes a key longer than the SHA-1 block (64 bytes) first: secrets on both sides of that line
secrets = st.one_of(st.text(chars, min_size=1, max_size=20), st.text(chars, min_size=60, max_size=90))


@settings(max_examples=400, deadline=None)
@given(fields, bodies, secrets)
def test_content_and_signature_equal_the_reference_algorithm(ext, body, secret):
    assert signing.content(ext, body) == reference_content(ext, body)
    assert signing.signature(secret, signing.content(ext, body)) == reference_signature(
        secret, reference_content(ext, body))


@settings(max_examples=300, deadline=None)
@given(fields, bodies, st.text(chars, min_size=1, max_size=10), secrets, st.text(chars, max_size=20))
def test_sign_adds_access_key_and_a_signature_over_every_field(ext, body, ak, sk, stale):
    ext = dict(ext)
    ext["Signature"] = stale                 # a stale signature is replaced, never signed
    signed = signing.sign(dict(ext), body, ak, sk)
    expected = dict(ext, AccessKey=ak)
    expected.pop("Signature")
    assert {k: v for k, v in signed.items() if k != "Signature"} == expected
    assert signed["Signature"] == reference_signature(sk, reference_content(expected, body))
    # the server's recomputation over what arrived matches (and is constant-time compared)
    assert signing.signature_matches(signing.signature(sk, signing.request_content(signed, body, 400)),
                                     signed["Signature"])


@settings(max_examples=200, deadline=None)
@given(fields, bodies, secrets, st.text(chars, min_size=1, max_size=8))
def test_unique_key_query_is_left_out_only_for_old_clients(ext, body, secret, value):
    ext = dict(ext, _UNIQUE_KEY_QUERY=value)
    assert signing.request_content(ext, body, 399) == reference_content(ext, body, ("Signature", "_UNIQUE_KEY_QUERY"))
    assert signing.request_content(ext, body, 400) == reference_content(ext, body)
    assert value.encode() in signing.request_content(ext, b"", 400)
    # the server's path (fields and body hashed in two parts) gives the same signatures
    for version, skip in ((399, ("Signature", "_UNIQUE_KEY_QUERY")), (400, ("Signature",))):
        assert signing.request_signature(secret, ext, body, version) == reference_signature(
            secret, reference_content(ext, body, skip))


def test_order_is_java_utf16_not_code_points():
    # U+1F600 is D83D DE00 in UTF-16: Java sorts it before U+E000, Python's str order after
    ext = {"\ue000": "B", "\U0001F600": "A"}
    assert sorted(ext) == ["\ue000", "\U0001F600"]                  # what a naive sort would use
    assert signing.content(ext, None) == b"AB"
    assert signing.signature("12345678", signing.content(ext, None)) == "J1m5gyjdAY2sSNncrAaWUO5AUjo="


# (extFields, body, secret, Base64 signature by openssl over the content in the comment)
VECTORS = [
    # "RocketMQ" "x" "TopicA" + "hello": uppercase keys before lowercase, the values only
    ({"topic": "TopicA", "AccessKey": "RocketMQ", "b": "x"}, b"hello", "12345678", "NpfU7vwovhq8Np3D20JaM3yil8I="),
    # no fields, a binary body; a non-ASCII secret is UTF-8
    ({}, b"\x00\x01\xff body", "sk-\u00e9", "FZ8qOkQG2DQ0o0rKGK8wr30sjNM="),
    # Signature is not signed; "rocketmq2" "中文" "10", UTF-8
    ({"queueId": "10", "Signature": "stale=", "name": "\u4e2d\u6587", "AccessKey": "rocketmq2"}, b"", "secret",
     "38z4W75UQtlxYitMNK/egfo9UM0="),
    # "BA" would be the signature of code-point order (IK1YEDbYOqzSLfJj+TqG2KV8CYY=)
    ({"\ue000": "B", "\U0001F600": "A"}, None, "12345678", "J1m5gyjdAY2sSNncrAaWUO5AUjo="),
    # a 64-byte secret is used as it is, a 70-byte one is hashed first (RFC 2104)
    ({"topic": "TopicA", "AccessKey": "RocketMQ", "b": "x"}, b"hello", "k" * 64, "tPR1KKoiiK0RHeHBWjBw4Qgnsio="),
    ({"topic": "TopicA", "AccessKey": "RocketMQ", "b": "x"}, b"hello", "k" * 70, "BWam06doZ510DNZGGV4f2N6X/EA="),
]


def test_reference_vectors():
    for ext, body, secret, expected in VECTORS:
        assert signing.signature(secret, signing.content(ext, body)) == expected, ext
    # and sign() produces the first one when it adds the AccessKey itself
    signed = signing.sign({"topic": "TopicA", "b": "x"}, b"hello", "RocketMQ", "12345678")
    assert signed["Signature"] == "NpfU7vwovhq8Np3D20JaM3yil8I="


def test_signature_matches_rejects_wrong_and_non_string():
    good = signing.signature("12345678", b"abc")
    assert signing.signature_matches(good, good)
    assert not signing.signature_matches(good, good[:-2] + "A=")
    assert not signing.signature_matches(good, None)
    assert not signing.signature_matches(good, "")
