"""What the topic pages show, asked of the cluster each time through mqadmin's code: the topic list (one
GET_ALL_TOPIC_CONFIG and one system-topic list per master, concurrently) and one topic's route, queue stats and
consumers (the data of topicRoute, topicStatus, topicClusterList and queryTopicConsumeByWho)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Awaitable, Callable, TypeVar

from remoting.bodies import TopicRouteData
from remoting.codes import ResponseCode
from tools.mqadmin import adminext as ax
from tools.mqadmin.cli import CommandError, Ctx
from tools.mqadmin.client import AdminClient, AdminError, system_topics, topic_configs
from tools.mqadmin.topic_cmds import DLQ_PREFIX, RETRY_PREFIX, perm_string, topic_stats

T = TypeVar("T")

PERMS = {"RW": 6, "R": 4, "W": 2}       # the form's choices, PermName's bits


def ctx_of(admin: AdminClient) -> Ctx:
    """The Ctx mqadmin's data functions take (only its admin client is used by them)."""
    return Ctx({}, admin)


@dataclass
class Master:
    cluster: str
    name: str
    addr: str


async def masters(admin: AdminClient) -> list[Master]:
    """Every broker group's master, by cluster then name (from one GET_BROKER_CLUSTER_INFO)."""
    info = await admin.cluster_info()
    out = []
    for cluster, names in sorted(info.clusterAddrTable.items()):
        for name in sorted(names):
            bd = info.brokerAddrTable.get(name)
            if bd is not None and 0 in bd.brokerAddrs:
                out.append(Master(cluster, name, bd.brokerAddrs[0]))
    return out


async def ask_each(ms: list[Master], ask: Callable[[Master], Awaitable[T]]) -> tuple[list[tuple[Master, T]], dict[str, str]]:
    """`ask` every master concurrently: the answers of those that answered, and why each other did not (by broker
    name): a broker that does not answer is shown as such on the page, the others' answers still are."""
    answers = await asyncio.gather(*(ask(m) for m in ms), return_exceptions=True)
    got: list[tuple[Master, T]] = []
    errors: dict[str, str] = {}
    for m, ans in zip(ms, answers):
        if isinstance(ans, BaseException):
            if not isinstance(ans, (CommandError, OSError)):
                raise ans
            errors[m.name] = str(ans)
        else:
            got.append((m, ans))
    return got, errors


def kind_of(topic: str, system: set[str]) -> str:
    if topic.startswith(RETRY_PREFIX):
        return "retry"
    if topic.startswith(DLQ_PREFIX):
        return "dlq"
    return "system" if topic in system else "normal"


@dataclass
class TopicRow:
    name: str
    kind: str
    configs: dict[str, dict] = field(default_factory=dict)     # broker name -> TopicConfig JSON
    clusters: set[str] = field(default_factory=set)

    @property
    def read_queues(self) -> int:
        return sum(int(c.get("readQueueNums", 0)) for c in self.configs.values())

    @property
    def write_queues(self) -> int:
        return sum(int(c.get("writeQueueNums", 0)) for c in self.configs.values())

    @property
    def perms(self) -> str:
        return " ".join(sorted({perm_string(int(c.get("perm", 0))) for c in self.configs.values()}))

    @property
    def order(self) -> bool:
        return any(bool(c.get("order")) for c in self.configs.values())

    @property
    def cluster(self) -> str:
        return sorted(self.clusters)[0] if self.clusters else ""


@dataclass
class TopicList:
    rows: list[TopicRow]
    errors: dict[str, str]       # broker name -> why it did not answer
    total: int


async def topic_list(admin: AdminClient, q: str = "", show: frozenset[str] = frozenset({"normal"})) -> TopicList:
    """Every topic of every master, merged by name; only the kinds in `show` whose name holds `q` (any case)."""
    ms = await masters(admin)

    async def one(m: Master) -> tuple[dict, set[str]]:
        return await asyncio.gather(topic_configs(admin, m.addr), system_topics(admin, m.addr))
    answers, errors = await ask_each(ms, one)
    rows: dict[str, TopicRow] = {}
    for m, (configs, system) in answers:
        for name, tc in configs.items():
            row = rows.get(name) or rows.setdefault(name, TopicRow(name, kind_of(name, system)))
            row.configs[m.name] = tc
            row.clusters.add(m.cluster)
    needle = q.lower()
    shown = [r for _, r in sorted(rows.items()) if r.kind in show and needle in r.name.lower()]
    return TopicList(shown, errors, len(rows))


@dataclass
class QueueStat:
    broker: str
    qid: int
    min_offset: int
    max_offset: int
    last_update: int


@dataclass
class TopicDetail:
    name: str
    route: TopicRouteData
    clusters: list[str]
    stats: list[QueueStat]
    consumers: list[str]
    configs: dict[str, dict]     # broker name -> TopicConfig JSON

    @property
    def total_messages(self) -> int:
        return sum(s.max_offset - s.min_offset for s in self.stats)


class NoSuchTopic(CommandError):
    pass


async def topic_detail(admin: AdminClient, topic: str) -> TopicDetail:
    """The route (unknown topic: NoSuchTopic), topicStatus's per-queue offsets, the clusters serving it and the
    groups consuming it, and each master's config of it."""
    try:
        route = await admin.route(topic)
    except AdminError as e:
        if e.code == ResponseCode.TOPIC_NOT_EXIST:
            raise NoSuchTopic(f"topic [{topic}] does not exist (no route in the NameServer)") from None
        raise
    ctx = ctx_of(admin)
    info = await admin.cluster_info()
    names = {b.brokerName for b in route.brokerDatas}
    clusters = sorted(c for c, ns in info.clusterAddrTable.items() if names & set(ns))
    stats_t, consumers = await asyncio.gather(topic_stats(ctx, topic, route), ax.topic_consumed_by(admin, topic))
    stats = [QueueStat(name, qid, int(o.get("minOffset", 0)), int(o.get("maxOffset", 0)),
                       int(o.get("lastUpdateTimestamp") or 0)) for (name, qid), o in sorted(stats_t.items())]
    addrs = {b.brokerName: b.brokerAddrs[0] for b in route.brokerDatas if 0 in b.brokerAddrs}
    tables = await asyncio.gather(*(topic_configs(admin, a) for a in addrs.values()))
    configs = {name: t[topic] for name, t in zip(addrs, tables) if topic in t}
    return TopicDetail(topic, route, clusters, stats, sorted(consumers), configs)
