"""Our SLAVE follows a Java 4.9.7 SYNC_MASTER, both registered to the Java NameServer: our slave learns the
master's HA address from the Java NameServer's REGISTER_BROKER answer."""
from __future__ import annotations

import random
import signal

import pytest

from tests.support.daemons import BrokerProcess

from .checks import check_key_lookups, mqadmin_query_by_key, mqadmin_query_by_unique_key, replication_checks
from .oracle import STORE_PROPS, JavaBroker, JavaNamesrv

TOPIC = "OracleHaTopic2"


@pytest.mark.timeout(400)
def test_our_slave_copies_a_java_master_byte_for_byte_and_serves_after_it_dies(java, tmp_path, phase):
    with JavaNamesrv(tmp_path / "namesrv") as ns, \
            JavaBroker(tmp_path / "master", ns.addr, brokerClusterName="OracleCluster", brokerName="ha-y",
                       brokerRole="SYNC_MASTER") as jmaster:
        phase("Java namesrv + Java SYNC_MASTER booted")
        with BrokerProcess(tmp_path / "slave", ns.addr, brokerClusterName="OracleCluster", brokerName="ha-y",
                           brokerId=1, brokerRole="SLAVE", slaveReadEnable=True, brokerIP2="127.0.0.1",
                           **STORE_PROPS) as slave:
            phase("our slave up")

            def kill_master() -> None:
                assert jmaster.stop(signal.SIGKILL) == -signal.SIGKILL

            stored = replication_checks(java, tmp_path, phase, namesrv=ns.addr, topic=TOPIC, queues=4, count=4000,
                                        key_prefix="S2", master_addr=jmaster.addr, master_store=jmaster.store,
                                        kill_master=kill_master, slave_addr=slave.addr,
                                        slave_store=tmp_path / "slave" / "store")

            # the index our slave built answers the Java admin client (QUERY_MESSAGE, the master is gone): every
            # key exactly once, then `mqadmin` as an operator would
            check_key_lookups(java, tmp_path / "admin", ns.addr, TOPIC, stored)
            sample = random.Random(2).choice(stored)
            mqadmin_query_by_key(java, tmp_path / "admin", ns.addr, TOPIC, sample)
            mqadmin_query_by_unique_key(java, tmp_path / "admin", ns.addr, TOPIC, sample)
            phase("queryMessage for every key; mqadmin queryMsgByKey, queryMsgByUniqueKey")
