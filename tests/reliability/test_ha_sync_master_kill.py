"""SYNC_MASTER: 10 rounds of SIGKILL of the master under a real client's sync sends; every acknowledged
message is on the slave with the master's bytes (the 100-round run is `make chaos`)."""
from __future__ import annotations

import random

import pytest

from tests.reliability import ha_chaos

pytestmark = pytest.mark.interop


@pytest.mark.timeout(600)
def test_no_acknowledged_message_is_lost_when_the_master_dies(tmp_path):
    seed = random.randrange(1 << 30)
    lines: list[str] = []
    acked, found, lost = ha_chaos.run(10, tmp_path, seed, report=lines.append)
    print("\n".join(lines))
    assert acked > 0 and lost == 0 and found == acked, "\n".join(lines)
