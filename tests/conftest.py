"""Shared fixtures: a temp working dir per test and a running NameServer daemon."""
from __future__ import annotations

import pytest

from remoting.client import RemotingClient
from tests.support.browser import browser_page, pytest_runtest_makereport  # noqa: F401 (fixture and its hook)
from tests.support.daemons import NamesrvProcess


@pytest.fixture
def namesrv(tmp_path):
    with NamesrvProcess(tmp_path / "namesrv") as ns:
        yield ns


@pytest.fixture
async def client():
    c = RemotingClient()
    yield c
    await c.close()



def pytest_asyncio_loop_factories(config, item):
    """Async tests run on uvloop, the loop the daemons use."""
    import uvloop
    return {"uvloop": uvloop.new_event_loop}
