"""The Protocol alone, with a fake transport: any byte stream in any chunking either yields the answers to
its whole frames or closes the connection; it never raises and never answers a frame twice."""
from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from remoting.codec import FrameError, decode_frame, encode_frame, frame_length
from remoting.codes import ResponseCode, SerializeType
from remoting.command import RemotingCommand, make_response
from remoting.connection import Connection
from remoting.dispatch import Dispatcher


class FakeTransport:
    def __init__(self) -> None:
        self.written = bytearray()
        self.aborted = False
        self.closing = False

    def writelines(self, parts) -> None:
        for p in parts:
            self.written += p

    def is_closing(self) -> bool:
        return self.closing or self.aborted

    def abort(self) -> None:
        self.aborted = True

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name, default=None):
        return ("127.0.0.1", 1) if name == "peername" else default

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


def _responses(buf: bytes) -> list[RemotingCommand]:
    out, pos = [], 0
    while (n := frame_length(buf[pos:])) is not None and pos + n <= len(buf):
        out.append(decode_frame(buf[pos:pos + n]))
        pos += n
    assert pos == len(buf), "a partial response was written"
    return out


_good = st.builds(lambda i: (True, encode_frame(RemotingCommand(code=1000, opaque=i, ext_fields={"i": str(i)}))),
                  st.integers(0, 10_000))
_garbage = st.builds(lambda b: (False, b), st.binary(min_size=1, max_size=40))
_stream = st.lists(st.one_of(_good, _garbage), max_size=12)


@settings(max_examples=300, deadline=None)
@given(_stream, st.lists(st.integers(1, 64), min_size=1, max_size=50))
def test_any_stream_is_answered_or_dropped_never_crashes(pieces, cuts):
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        d = Dispatcher("fuzz")
        d.register(1000, lambda c, r: make_response(r, ResponseCode.SUCCESS, ext_fields={"i": r.ext("i")}))
        conn = Connection(d)
        t = FakeTransport()
        conn.connection_made(t)
        data = b"".join(p for _good_frame, p in pieces)
        pos, k = 0, 0
        while pos < len(data) and not t.aborted:
            step = cuts[k % len(cuts)]
            conn.data_received(data[pos:pos + step])
            pos += step
            k += 1
        loop.run_until_complete(asyncio.sleep(0))   # answers leave at the end of the loop turn (coalesced)
        answers = _responses(bytes(t.written))
        # every answer belongs to a request, in order, and each request is answered at most once
        assert all(a.is_response for a in answers)
        opaques = [a.opaque for a in answers if a.code == ResponseCode.SUCCESS]
        assert all(a.ext("i") == str(a.opaque) for a in answers if a.code == ResponseCode.SUCCESS)
        if all(good for good, _p in pieces):
            # only good frames: every one answered, nothing dropped
            assert not t.aborted and len(opaques) == len(pieces)
    finally:
        loop.close()
        asyncio.set_event_loop(None)


def _reference_reading(data: bytes) -> tuple[list[RemotingCommand], bool]:
    """What a connection must deliver for a whole stream: the frames up to the first bad one, and whether it
    is closed (a bad length prefix, or a whole frame that does not decode)."""
    out, pos = [], 0
    try:
        while (n := frame_length(data[pos:])) is not None and pos + n <= len(data):
            out.append(decode_frame(data[pos:pos + n]))
            pos += n
    except FrameError:
        return out, True
    return out, False


_any_frame = st.builds(
    lambda code, i, ext, body, stype: encode_frame(RemotingCommand(code=code, opaque=i, ext_fields=ext, body=body,
                                                                   serialize_type=stype)),
    st.integers(0, 400), st.integers(0, 10_000), st.one_of(st.none(), st.dictionaries(st.text(max_size=5),
                                                                                      st.text(max_size=9), max_size=3)),
    st.one_of(st.none(), st.binary(max_size=300)), st.sampled_from([SerializeType.ROCKETMQ, SerializeType.JSON]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_any_frame, _any_frame, st.binary(min_size=1, max_size=30)), max_size=10),
       st.lists(st.integers(1, 900), min_size=1, max_size=20), st.sampled_from([bytes, bytearray, memoryview]))
def test_requests_are_dispatched_exactly_as_a_whole_stream_reads_in_any_chunking(pieces, cuts, kind):
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        seen: list[RemotingCommand] = []
        d = Dispatcher("chunks")
        d.set_default(lambda c, r: seen.append(r))   # records, answers nothing
        conn = Connection(d)
        t = FakeTransport()
        conn.connection_made(t)
        data = b"".join(pieces)
        pos, k = 0, 0
        while pos < len(data) and not t.aborted:
            step = cuts[k % len(cuts)]
            conn.data_received(kind(data[pos:pos + step]))
            pos += step
            k += 1
        want, closed = _reference_reading(data)
        assert seen == want
        assert all(type(c.body) is bytes or c.body is None for c in seen)
        assert t.aborted == closed
    finally:
        loop.close()
        asyncio.set_event_loop(None)
