"""The Protocol alone, with a fake transport: any byte stream in any chunking either yields the answers to
its whole frames or closes the connection; it never raises and never answers a frame twice."""
from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from remoting.codec import decode_frame, encode_frame, frame_length
from remoting.codes import ResponseCode
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
