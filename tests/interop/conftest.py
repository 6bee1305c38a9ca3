"""Shared by the interop modules: a NameServer + Broker pair per module, and message bodies of client output."""
from __future__ import annotations

import base64

import pytest

from tests.support.daemons import BrokerProcess, NamesrvProcess


@pytest.fixture(scope="module")
def cluster(request, tmp_path_factory):
    """(namesrv, broker) for the module; broker properties from the module's BROKER_PROPS, if any."""
    props = getattr(request.module, "BROKER_PROPS", {})
    root = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    with NamesrvProcess(root / "ns") as ns, BrokerProcess(root / "broker", ns.addr, **props) as br:
        yield ns, br


def bodies(msgs) -> list[bytes]:
    return [base64.b64decode(x["body_b64"]) for x in msgs]
