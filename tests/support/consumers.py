"""One entry point for a push consumer of any of the three clients (C++ 1.x, C++ 2.1, ali-ons)."""
from __future__ import annotations

from pathlib import Path

from .alions import NodeConsumer
from .consumer_proc import ConsumerProcess
from .cpp1x import PushConsumer

CLIENTS = ["1.x", "2.1", "ali-ons"]


def push_consumer(client: str, home: Path, namesrv: str, group: str, topic: str,
                  behaviour: str = "", acl: tuple[str, str] | None = None,
                  expect_ready: bool = True) -> ConsumerProcess:
    """A clustering consumer of `topic` ("*"), from the first offset; behaviour "retry" refuses b"retry-*" once;
    `acl` (access key, secret key) signs its requests; `expect_ready` False: ali-ons may exit refused at start."""
    if client == "ali-ons":
        return NodeConsumer(home, namesrv, group, topic, "TAG", "*", mode=behaviour, acl=acl,
                            expect_ready=expect_ready)
    return PushConsumer(home, namesrv, group, topic, core=client, behaviour=behaviour, acl=acl)
