"""A Java 4.9.7 SLAVE follows our SYNC_MASTER: our NameServer, our master, the Java broker as slave (brokerId 1,
same brokerName, learning our HA address from our NameServer's REGISTER_BROKER answer)."""
from __future__ import annotations

import signal

import pytest

from tests.support.daemons import BrokerProcess, NamesrvProcess

from .checks import replication_checks
from .oracle import STORE_PROPS, JavaBroker


@pytest.mark.timeout(400)
def test_java_slave_copies_our_master_byte_for_byte_and_serves_after_it_dies(java, tmp_path, phase):
    with NamesrvProcess(tmp_path / "namesrv") as ns, \
            BrokerProcess(tmp_path / "master", ns.addr, brokerClusterName="OracleCluster", brokerName="ha-x",
                          brokerRole="SYNC_MASTER", brokerIP2="127.0.0.1",
                          **STORE_PROPS) as master:
        phase("our namesrv + our SYNC_MASTER up")
        # started before any message: an empty slave is sent the master's commit log from its last file
        with JavaBroker(tmp_path / "slave", ns.addr, brokerClusterName="OracleCluster", brokerName="ha-x",
                        brokerId=1, brokerRole="SLAVE", slaveReadEnable=True) as slave:
            phase("Java slave booted")

            def kill_master() -> None:
                assert master.stop(signal.SIGKILL) == -signal.SIGKILL

            # ~1-6 KB bodies: 4000 messages are ~15 MB of commit log, four 4 MiB files
            replication_checks(java, tmp_path, phase, namesrv=ns.addr, topic="OracleHaTopic", queues=4,
                               count=4000, key_prefix="S1", master_addr=master.addr,
                               master_store=tmp_path / "master" / "store", kill_master=kill_master,
                               slave_addr=slave.addr, slave_store=slave.store)
