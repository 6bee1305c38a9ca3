"""Clustering push consumers of each client: two consumers in one group share the queues and together get
every message exactly once; a third joins (NOTIFY_CONSUMER_IDS_CHANGED, rebalance) and nothing is lost.

Exactly once holds once the group is balanced: until a member rebalances after another joined, both may pull
the same queue (at-least-once, as with the Java broker). ali-ons ignores NOTIFY_CONSUMER_IDS_CHANGED and
rebalances on its timer only, so before the counted batch the test sends probe rounds (two messages per queue)
until one round arrives exactly once and split between both members: the observable sign that the group is
balanced."""
from __future__ import annotations

from collections import Counter

import pytest

from tests.interop.conftest import bodies
from tests.support.consumers import CLIENTS, push_consumer
from tests.support.cpp1x import message, produce

pytestmark = pytest.mark.interop





@pytest.mark.timeout(400)
@pytest.mark.parametrize("client", CLIENTS)
def test_two_consumers_share_queues_exactly_once_and_a_third_joins(cluster, tmp_path, client):
    ns, _ = cluster
    slug = client.replace(".", "").replace("-", "")
    topic, group = f"Cluster{slug}", f"CID_cluster_{slug}"
    produce(tmp_path, ns.addr, "PID_cluster_init", "sync", [message(topic, b"warm-up")])  # creates the topic
    a = push_consumer(client, tmp_path / "a", ns.addr, group, topic)
    b = push_consumer(client, tmp_path / "b", ns.addr, group, topic)
    c = None
    try:
        for round_no in range(20):
            probes = [message(topic, f"probe{round_no}-{i}".encode()) for i in range(8)]
            produce(tmp_path, ns.addr, "PID_cluster", "sync", probes)
            got = lambda: Counter(x for x in bodies(a.messages) + bodies(b.messages) if x in set(bodies(probes)))  # noqa: E731
            assert a.wait_for(lambda _: set(got()) == set(bodies(probes)), 60)
            probe_set = set(bodies(probes))
            split = probe_set & set(bodies(a.messages)) and probe_set & set(bodies(b.messages))
            if max(got().values()) == 1 and split:
                break
        else:
            pytest.fail("the group never balanced")
        first = [message(topic, f"m{i}".encode()) for i in range(60)]
        produce(tmp_path, ns.addr, "PID_cluster", "sync", first)
        want = Counter(bodies(first))

        def together():
            return Counter(x for x in bodies(a.messages) + bodies(b.messages) if x.startswith(b"m"))
        assert a.wait_for(lambda _: together() == want, 60) or together() == want, together() - want
        assert together() == want          # exactly once across the group
        assert a.messages and b.messages   # and really shared
        c = push_consumer(client, tmp_path / "c", ns.addr, group, topic)
        more = [message(topic, f"n{i}".encode()) for i in range(60)]
        produce(tmp_path, ns.addr, "PID_cluster", "sync", more)
        seen = lambda: set(bodies(a.messages) + bodies(b.messages) + bodies(c.messages))  # noqa: E731
        assert c.wait_for(lambda _: set(bodies(more)) <= seen(), 90) or set(bodies(more)) <= seen()
        assert set(bodies(more)) <= seen()   # rebalancing loses nothing
    finally:
        for x in (a, b, c):
            if x is not None:
                x.stop()
