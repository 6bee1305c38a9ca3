"""The NameServer's route rules, as RouteInfoManager (4.9.7) applies them."""
from __future__ import annotations

from remoting.bodies import PERM_READ, PERM_WRITE, DataVersion, TopicConfig, TopicConfigSerializeWrapper
from namesrv.route_info import RouteInfo

A0, A1, B0 = "10.0.0.1:10911", "10.0.0.2:10911", "10.0.0.3:10911"


def wrap(*topics: TopicConfig, counter: int = 0, ts: int = 1) -> TopicConfigSerializeWrapper:
    return TopicConfigSerializeWrapper({t.topicName: t for t in topics}, DataVersion(ts, counter))


def reg(r: RouteInfo, name: str, bid: int, addr: str, w: TopicConfigSerializeWrapper, conn=None, now=0, **kw):
    return r.register_broker("C", addr, name, bid, addr.replace("10911", "10912"), w, [], conn, now, **kw)


def test_master_and_slave_share_broker_data_and_slave_learns_master():
    r = RouteInfo()
    assert reg(r, "a", 0, A0, wrap(TopicConfig("T", 4, 4))).master_addr is None
    res = reg(r, "a", 1, A1, wrap(TopicConfig("T", 8, 8, perm=PERM_READ)))
    assert (res.master_addr, res.ha_server_addr) == (A0, "10.0.0.1:10912")
    route = r.pickup_topic_route_data("T")
    assert [b.brokerAddrs for b in route.brokerDatas] == [{0: A0, 1: A1}]
    # queue data comes from the master only
    assert [(q.brokerName, q.readQueueNums, q.perm) for q in route.queueDatas] == [("a", 4, 6)]


def test_unchanged_data_version_does_not_touch_queue_data():
    r = RouteInfo()
    reg(r, "a", 0, A0, wrap(TopicConfig("T", 4, 4), counter=1))
    r.wipe_write_perm("a")
    reg(r, "a", 0, A0, wrap(TopicConfig("T", 4, 4), counter=1))  # same version: perm stays wiped
    assert r.pickup_topic_route_data("T").queueDatas[0].perm == PERM_READ
    reg(r, "a", 0, A0, wrap(TopicConfig("T", 4, 4), counter=2))  # new version: rewritten
    assert r.pickup_topic_route_data("T").queueDatas[0].perm == PERM_READ | PERM_WRITE


def test_topics_a_broker_stops_listing_are_kept_as_in_4_9_7():
    r = RouteInfo()
    reg(r, "a", 0, A0, wrap(TopicConfig("T"), TopicConfig("U"), counter=1))
    reg(r, "a", 0, A0, wrap(TopicConfig("T"), counter=2))
    assert r.pickup_topic_route_data("U") is not None


def test_slave_promoted_to_master_keeps_one_entry_per_address():
    r = RouteInfo()
    reg(r, "a", 0, A0, wrap())
    reg(r, "a", 1, A1, wrap())
    r.unregister_broker("C", A0, "a", 0)
    reg(r, "a", 0, A1, wrap(TopicConfig("T")))
    assert r.broker_addr_table["a"].brokerAddrs == {0: A1}


def test_unregister_last_address_removes_name_cluster_and_topics():
    r = RouteInfo()
    reg(r, "a", 0, A0, wrap(TopicConfig("T"), TopicConfig("Only")))
    reg(r, "b", 0, B0, wrap(TopicConfig("T")))
    r.unregister_broker("C", A0, "a", 0)
    assert r.pickup_topic_route_data("Only") is None
    assert [q.brokerName for q in r.pickup_topic_route_data("T").queueDatas] == ["b"]
    assert r.cluster_addr_table == {"C": {"b"}}
    r.unregister_broker("C", B0, "b", 0)
    assert r.cluster_addr_table == {} and r.topic_queue_table == {} and r.broker_live_table == {}


def test_route_needs_broker_data_for_some_queue_data():
    r = RouteInfo()
    reg(r, "a", 0, A0, wrap(TopicConfig("T")))
    del r.broker_addr_table["a"]
    assert r.pickup_topic_route_data("T") is None


def test_channel_destroy_cleans_by_connection_identity():
    r = RouteInfo()
    conn_a, conn_b = object(), object()
    reg(r, "a", 0, A0, wrap(TopicConfig("T")), conn=conn_a)
    reg(r, "b", 0, B0, wrap(TopicConfig("T")), conn=conn_b)
    r.on_channel_destroy("127.0.0.1:55555", conn_a)
    assert set(r.broker_addr_table) == {"b"}
    assert [q.brokerName for q in r.pickup_topic_route_data("T").queueDatas] == ["b"]
    r.on_channel_destroy("127.0.0.1:55556", object())  # unknown connection: nothing happens
    assert set(r.broker_addr_table) == {"b"}


def test_expiry_uses_each_brokers_timeout():
    r = RouteInfo()
    reg(r, "a", 0, A0, wrap(TopicConfig("T")), now=1000, heartbeat_timeout_ms=500)
    reg(r, "b", 0, B0, wrap(TopicConfig("T")), now=1000)  # default 120 s
    assert r.scan_not_active_brokers(1400) == []
    expired = r.scan_not_active_brokers(1501)
    assert [a for a, _ in expired] == [A0]
    assert set(r.broker_addr_table) == {"b"}
    assert r.scan_not_active_brokers(1000 + 120_001)[0][0] == B0
    assert r.topic_queue_table == {}


def test_write_perm_wipe_and_add_count_topics():
    r = RouteInfo()
    reg(r, "a", 0, A0, wrap(TopicConfig("T", perm=7), TopicConfig("U", perm=6)))
    assert r.wipe_write_perm("a") == 2
    assert {t: q["a"].perm for t, q in r.topic_queue_table.items()} == {"T": 5, "U": 4}
    assert r.add_write_perm("a") == 2
    assert {t: q["a"].perm for t, q in r.topic_queue_table.items()} == {"T": 6, "U": 6}
    assert r.wipe_write_perm("nobody") == 0


def test_delete_topic_whole_or_per_cluster():
    r = RouteInfo()
    reg(r, "a", 0, A0, wrap(TopicConfig("T"), TopicConfig("U")))
    r.register_broker("D", B0, "b", 0, "", wrap(TopicConfig("T")), [], None, 0)
    r.delete_topic("T", "C")
    assert [q.brokerName for q in r.pickup_topic_route_data("T").queueDatas] == ["b"]
    r.delete_topic("U")
    assert r.pickup_topic_route_data("U") is None


def test_topic_lists():
    r = RouteInfo()
    reg(r, "a", 0, A0, wrap(TopicConfig("T"), TopicConfig("Unit", topicSysFlag=1), TopicConfig("Sub", topicSysFlag=2),
                          TopicConfig("Both", topicSysFlag=3)))
    reg(r, "a", 1, A1, wrap())
    assert sorted(r.all_topics().topicList) == ["Both", "Sub", "T", "Unit"]
    assert sorted(r.topics_by_cluster("C").topicList) == ["Both", "Sub", "T", "Unit"]
    assert r.topics_by_cluster("nope").topicList == []
    sys_list = r.system_topics()
    assert sys_list.topicList == ["C", "a"] and sys_list.brokerAddr in (A0, A1)
    assert sorted(r.unit_topics().topicList) == ["Both", "Unit"]
    assert sorted(r.has_unit_sub_topics().topicList) == ["Both", "Sub"]
    assert r.has_unit_sub_ununit_topics().topicList == ["Sub"]


def test_filter_servers_appear_in_routes():
    r = RouteInfo()
    r.register_broker("C", A0, "a", 0, "", wrap(TopicConfig("T")), ["10.0.0.9:9999"], None, 0)
    assert r.pickup_topic_route_data("T").filterServerTable == {A0: ["10.0.0.9:9999"]}
    r.register_broker("C", A0, "a", 0, "", wrap(TopicConfig("T")), [], None, 0)
    assert r.pickup_topic_route_data("T").filterServerTable == {}


def test_route_lists_brokers_in_the_order_of_javas_hash_map():
    """Java's route carries queue datas as its HashMap of broker names iterates and broker datas as a HashSet of
    them does: broker-b before broker-a whichever registered first (clients keep the lists' order)."""
    for first, second in (("broker-a", "broker-b"), ("broker-b", "broker-a")):
        r = RouteInfo()
        reg(r, first, 0, A0 if first == "broker-a" else B0, wrap(TopicConfig("T", 4, 4)))
        reg(r, second, 0, A0 if second == "broker-a" else B0, wrap(TopicConfig("T", 4, 4)))
        route = r.pickup_topic_route_data("T")
        assert [q.brokerName for q in route.queueDatas] == ["broker-b", "broker-a"]
        assert [b.brokerName for b in route.brokerDatas] == ["broker-b", "broker-a"]
