"""What the cluster pages show, asked of the cluster each time through mqadmin's client code (so the console and
`mqadmin` never disagree): every broker of every cluster with its runtime figures. A broker that does not
answer is shown as such, not with old figures."""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

from remoting.errors import RemotingError
from tools.mqadmin.cli import CommandError
from tools.mqadmin.client import AdminClient, runtime_info


@dataclass
class BrokerRow:
    cluster: str
    name: str
    broker_id: int
    addr: str
    info: dict[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def role(self) -> str:
        return "MASTER" if self.broker_id == 0 else f"SLAVE {self.broker_id}"

    def figure(self, key: str) -> str:
        return self.info.get(key, "")

    def tps(self, key: str) -> float:
        """The first (10 s) window of a "a b c" TPS triple, as clusterList prints it."""
        try:
            return float(self.info.get(key, "0").split()[0])
        except (ValueError, IndexError):
            return 0.0

    @property
    def disk_ratio(self) -> float:
        try:
            return float(self.info.get("commitLogDiskRatio", "-1"))
        except ValueError:
            return -1.0

    @property
    def ha_state(self) -> str:
        if "haMasterAddress" in self.info:
            connected = self.info.get("haClientConnected") == "true"
            return f"{'replicating from' if connected else 'not connected to'} {self.info['haMasterAddress'] or '-'}"
        n = self.info.get("haConnectionCount")
        return "" if n is None else f"{n} slave(s) connected"


async def brokers(admin: AdminClient) -> list[BrokerRow]:
    """Every registered broker address, masters and slaves, with its runtime info fetched concurrently."""
    info = await admin.cluster_info()
    rows = []
    for cluster, names in sorted(info.clusterAddrTable.items()):
        for name in sorted(names):
            bd = info.brokerAddrTable.get(name)
            for bid, addr in sorted((bd.brokerAddrs if bd else {}).items()):
                rows.append(BrokerRow(cluster, name, bid, addr))

    async def fill(row: BrokerRow) -> None:
        try:
            row.info = await runtime_info(admin, row.addr)
        except (CommandError, RemotingError, OSError) as e:
            row.error = str(e)
    await asyncio.gather(*(fill(r) for r in rows))
    return rows


def masters(rows: list[BrokerRow]) -> list[BrokerRow]:
    return [r for r in rows if r.broker_id == 0]


@dataclass
class GroupLag:
    """A group's figures summed over the masters asked: lag = broker offset - consumer offset over its queues."""
    lag: int = 0
    tps: float = 0.0
    topics: set[str] = field(default_factory=set)


async def group_lags(admin: AdminClient, addrs: list[str]) -> dict[str, GroupLag]:
    """GET_BROKER_CONSUME_STATS (brokerConsumeStats's request: every group of a broker in one answer) to each
    address, concurrently, summed per group. One request per broker whatever the number of groups."""
    from remoting.codes import RequestCode

    async def one(addr: str) -> dict[str, GroupLag]:
        resp = await admin.ok(addr, RequestCode.GET_BROKER_CONSUME_STATS, {"isOrder": "false"},
                              timeout=admin.timeout * 3)
        return lags_of_body(bytes(resp.body or b"{}").decode("utf-8"))
    out: dict[str, GroupLag] = {}
    for per_broker in await asyncio.gather(*(one(a) for a in addrs)):
        for group, g in per_broker.items():
            total = out.setdefault(group, GroupLag())
            total.lag += g.lag
            total.tps += g.tps
            total.topics |= g.topics
    return out


# A ConsumeStatsList as fastjson writes it (ours and Java's: fields sorted, names of [%|a-zA-Z0-9_-] only):
# {"brokerAddr":..,"consumeStatsList":[{"G":[{"consumeTps":x,"offsetTable":{{"brokerName":..,"queueId":..,
# "topic":"T"}:{"brokerOffset":b,"consumerOffset":c,"lastTimestamp":t},..}},..]},..],"totalDiff":n}
_STATS_TOKENS = re.compile(r'(?:^|[\[,])\{"([%|\w-]+)":\['            # a group's list opens
                           r'|"consumeTps":(-?[0-9.eE+-]+)'
                           r'|"topic":"([%|\w-]+)"\}:\{"brokerOffset":(-?\d+),"consumerOffset":(-?\d+)')


def lags_of_body(text: str) -> dict[str, GroupLag]:
    """Each group's lag (sum of broker - consumer offset over its queues, never negative per queue), TPS and
    topics, read off the answer's text without building its objects: with 200 groups it is a megabyte, and the
    full parse took the console's loop for most of a second. An answer of another shape is parsed whole."""
    out: dict[str, GroupLag] = {}
    current: GroupLag | None = None
    for m in _STATS_TOKENS.finditer(text):
        group, tps, topic = m.group(1), m.group(2), m.group(3)
        if group is not None:
            current = out.setdefault(group, GroupLag())
        elif current is None:
            break
        elif tps is not None:
            current.tps += float(tps)
        else:
            current.lag += max(0, int(m.group(4)) - int(m.group(5)))
            current.topics.add(topic)
    if out or '"consumeStatsList":[]' in text:
        return out
    return _lags_parsed(text)


def _lags_parsed(text: str) -> dict[str, GroupLag]:
    from remoting import fastjson
    from tools.mqadmin.msgfmt import mq_table
    out: dict[str, GroupLag] = {}
    for entry in fastjson.loads(text).get("consumeStatsList") or ():
        for group, stats_list in entry.items():
            g = out.setdefault(group, GroupLag())
            for stats in stats_list or ():
                g.tps += float(stats.get("consumeTps", 0) or 0)
                for mq, w in mq_table(stats.get("offsetTable")).items():
                    g.lag += max(0, int(w.get("brokerOffset", 0)) - int(w.get("consumerOffset", 0)))
                    g.topics.add(mq.topic)
    return out
