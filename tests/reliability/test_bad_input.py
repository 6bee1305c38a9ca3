"""Bad input against the real namesrv process: a fuzz of malformed and truncated frames on many
connections while a healthy client keeps being answered."""
from __future__ import annotations

import asyncio
import random
import struct

from remoting.codec import decode_frame, encode_frame
from remoting.codes import RequestCode as R, ResponseCode
from remoting.command import make_request


async def test_garbage_connections_never_stop_the_server_answering_others(namesrv, client):
    """Random bytes, truncated frames, oversized lengths, bad JSON, non-UTF-8: each bad connection is closed
    (or left waiting for the rest of a frame); the server keeps answering a healthy connection throughout."""
    rnd = random.Random(7)
    good = encode_frame(make_request(R.GET_ROUTEINFO_BY_TOPIC, {"topic": "T"}))
    host, port = namesrv.addr.split(":")

    def frame(header: bytes, stype: int = 0) -> bytes:
        return struct.pack(">II", 4 + len(header), (stype << 24) | len(header)) + header

    must_close = [
        struct.pack(">I", 0xFFFFFFF0) + b"\x00" * 16,              # oversized length
        struct.pack(">I", 2) + b"ab",                              # too short for the type word
        frame(b"{not json"), frame(b"\xc3\x28{}"), frame(b"[]"), frame(b'{"x":1}'),
        frame(b"\x00" * 3, stype=1), frame(b'{"code":1}', stype=9),
        struct.pack(">II", 20, 500) + b"\x00" * 16,                # header length beyond frame
    ] + [struct.pack(">I", rnd.randrange(1 << 25, 1 << 32)) + rnd.randbytes(rnd.randrange(0, 64)) for _ in range(20)]
    may_wait = [good[:cut] for cut in (1, 3, 7, 20, len(good) - 1)] + [rnd.randbytes(rnd.randrange(1, 4))]

    writers = []
    for payload in must_close + may_wait:
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(payload)
        await writer.drain()
        writers.append((reader, writer, payload in must_close))
        # the healthy client is answered after every bad connection
        resp = await client.invoke(namesrv.addr, make_request(R.GET_ROUTEINFO_BY_TOPIC, {"topic": "T"}), 3)
        assert resp.code == ResponseCode.TOPIC_NOT_EXIST
    for reader, writer, closes in writers:
        if closes:
            assert await asyncio.wait_for(reader.read(), 5) == b"", "server kept a malformed connection open"
        writer.close()
    assert namesrv.alive()
    # a connection that sent half a frame can still finish it and be answered
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(good[:10])
    await writer.drain()
    writer.write(good[10:])
    prefix = await asyncio.wait_for(reader.readexactly(4), 5)
    resp = decode_frame(prefix + await asyncio.wait_for(reader.readexactly(struct.unpack(">I", prefix)[0]), 5))
    assert resp.code == ResponseCode.TOPIC_NOT_EXIST
    writer.close()
