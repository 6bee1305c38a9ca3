"""The loopback + page-cache limit for HA catch-up: copy the first N bytes of a file to another process over a
loopback TCP connection and into a memory-mapped destination file, as fast as the kernel allows.

    .venv/bin/python -m bench.loopback_copy SRC DST [--bytes N] [--chunk 1048576] [--json]

A child process (the "master") sends with sendfile(2) straight from SRC's page cache; this process (the
"slave") reads with recv_into(2) directly into the destination mmap, at most --chunk bytes per call: no Python
copies at all, so this is what two processes on this machine can move, not what a Python HA client can. The
copy is timed from the connection to the last byte received (the pages are dirty in the page cache then, as a
slave's are when it reports); an msync of the destination afterwards is timed separately (disk write speed).
"""
from __future__ import annotations

import argparse
import json
import mmap
import multiprocessing as mp
import os
import socket
import sys
import time


def _send(port: int, src: str, nbytes: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as s, open(src, "rb") as f:
        s.sendfile(f, 0, nbytes)


def copy(src: str, dst: str, nbytes: int, chunk: int) -> dict:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    fd = os.open(dst, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.ftruncate(fd, nbytes)
        mm = mmap.mmap(fd, nbytes, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    finally:
        os.close(fd)
    sender = mp.get_context("fork").Process(target=_send, args=(port, src, nbytes), daemon=True)
    sender.start()
    conn, _ = listener.accept()
    listener.close()
    view = memoryview(mm)
    t0 = time.monotonic()
    got = 0
    calls = 0
    with conn:
        while got < nbytes:
            n = conn.recv_into(view[got:got + chunk])
            if n == 0:
                break
            got += n
            calls += 1
    elapsed = time.monotonic() - t0
    sender.join(10)
    t1 = time.monotonic()
    mm.flush()
    msync = time.monotonic() - t1
    view.release()
    mm.close()
    return {"bytes": got, "seconds": round(elapsed, 3), "mb_per_s": round(got / elapsed / 1e6, 1),
            "recv_calls": calls, "msync_seconds": round(msync, 3),
            "msync_mb_per_s": round(got / msync / 1e6, 1) if msync else 0.0}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--bytes", type=int, default=0, help="bytes to copy (default: all of SRC)")
    p.add_argument("--chunk", type=int, default=1 << 20, help="most bytes per recv_into")
    p.add_argument("--keep", action="store_true", help="keep DST (default: delete it afterwards)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    nbytes = args.bytes or os.path.getsize(args.src)
    try:
        r = copy(args.src, args.dst, nbytes, args.chunk)
    finally:
        if not args.keep and os.path.exists(args.dst):
            os.unlink(args.dst)
    if args.json:
        print(json.dumps(r))
    else:
        print(f"{r['bytes']} bytes in {r['seconds']} s: {r['mb_per_s']} MB/s ({r['recv_calls']} recv_into calls of "
              f"at most {args.chunk}); msync {r['msync_seconds']} s ({r['msync_mb_per_s']} MB/s)")
    return 0 if r["bytes"] == nbytes else 1


if __name__ == "__main__":
    sys.exit(main())
