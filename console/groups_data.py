"""What the consumer group pages show, through mqadmin's code: the list (one GET_ALL_SUBSCRIPTIONGROUP_CONFIG and
one GET_BROKER_CONSUME_STATS per master, concurrently; who is online asked only for the rows of the page shown)
and one group's progress (consumerProgress -g), connections (consumerConnection) and running info
(consumerStatus, each client bounded in time)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from remoting.codes import ResponseCode
from tools.mqadmin import adminext as ax
from tools.mqadmin.cli import CommandError
from tools.mqadmin.client import AdminClient, AdminError, subscription_groups
from tools.mqadmin.consumer_cmds import expired_total, total_diff
from tools.mqadmin.export_cmds import is_system_group
from tools.mqadmin.group_cmds import group_config
from tools.mqadmin.msgfmt import MQ, running_info_text, version_desc

from .cluster import GroupLag, group_lags
from .topics_data import ask_each, masters

PAGE_SIZE = 100
RUNNING_INFO_TIMEOUT = 3.0      # a consumer that does not answer in this time is reported, not waited for
NOT_THERE = (ResponseCode.CONSUMER_NOT_ONLINE, ResponseCode.TOPIC_NOT_EXIST)


@dataclass
class GroupRow:
    name: str
    configs: dict[str, dict] = field(default_factory=dict)     # broker name -> SubscriptionGroupConfig JSON
    addrs: list[str] = field(default_factory=list)
    clusters: set[str] = field(default_factory=set)
    lag: int = 0
    tps: float = 0.0
    clients: int | None = None      # None: not asked (another page) or the broker did not answer
    client_error: str = ""

    @property
    def config(self) -> dict:
        return group_config(next(iter(self.configs.values()), {"groupName": self.name}))

    @property
    def cluster(self) -> str:
        return sorted(self.clusters)[0] if self.clusters else ""


@dataclass
class GroupList:
    rows: list[GroupRow]
    matched: int
    total: int
    page: int
    pages: int
    errors: dict[str, str]


async def group_list(admin: AdminClient, q: str = "", system: bool = False, page: int = 1,
                     recent_lags: dict[str, GroupLag] | None = None) -> GroupList:
    """`recent_lags`: the charts' last sample (console.history), used instead of asking the brokers again."""
    ms = await masters(admin)
    answers, errors = await ask_each(ms, lambda m: subscription_groups(admin, m.addr))
    rows: dict[str, GroupRow] = {}
    live = [m for m, _ in answers]
    for m, ans in answers:
        for name, cfg in ans.items():
            row = rows.get(name) or rows.setdefault(name, GroupRow(name))
            row.configs[m.name] = cfg
            row.addrs.append(m.addr)
            row.clusters.add(m.cluster)
    lags = recent_lags
    if lags is None:
        try:
            lags = await group_lags(admin, [m.addr for m in live])
        except (CommandError, OSError) as e:
            lags = {}
            errors["consume stats"] = str(e)
    for name, g in lags.items():
        if name in rows:
            rows[name].lag, rows[name].tps = g.lag, g.tps
    needle = q.lower()
    matched = [r for _, r in sorted(rows.items())
               if needle in r.name.lower() and (system or not is_system_group(r.name))]
    pages = max(1, -(-len(matched) // PAGE_SIZE))
    page = min(max(1, page), pages)
    shown = matched[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    await asyncio.gather(*(_count_clients(admin, r) for r in shown))
    return GroupList(shown, len(matched), len(rows), page, pages, errors)


async def _count_clients(admin: AdminClient, row: GroupRow) -> None:
    """GET_CONSUMER_CONNECTION_LIST to one master holding the group: its connected clients (0: offline)."""
    try:
        cc = await ax.consumer_connection(admin, row.name, row.addrs[0])
        row.clients = len(cc.get("connectionSet") or ())
    except AdminError as e:
        if e.code == ResponseCode.CONSUMER_NOT_ONLINE:
            row.clients = 0
        else:
            row.client_error = str(e)
    except (CommandError, OSError) as e:
        row.client_error = str(e)


@dataclass
class QueueProgress:
    mq: MQ
    broker_offset: int
    consumer_offset: int
    last: int
    min_offset: int

    @property
    def diff(self) -> int:
        return self.broker_offset - self.consumer_offset

    @property
    def expired(self) -> int:
        return max(0, min(self.min_offset, self.broker_offset) - self.consumer_offset)


@dataclass
class ClientInfo:
    client_id: str
    addr: str
    language: str
    version: str
    running: str = ""
    error: str = ""


@dataclass
class GroupDetail:
    name: str
    configs: dict[str, dict]
    clusters: list[str]
    progress: list[QueueProgress]
    tps: float
    progress_note: str
    diff_total: int
    expired_total: int
    connection: dict | None
    connection_note: str
    clients: list[ClientInfo]

    @property
    def cpp_clients(self) -> bool:
        """Every online client is a C++ one: the reset is sent in the C body form they read (mqadmin's -c); the
        C++ cores ignore the Java form, and a Java client cannot read the C one."""
        return bool(self.clients) and all(c.language.upper() == "CPP" for c in self.clients)

    @property
    def topics(self) -> list[str]:
        subs = (self.connection or {}).get("subscriptionTable") or {}
        return sorted({p.mq.topic for p in self.progress} | set(subs))


class NoSuchGroup(CommandError):
    pass


async def group_detail(admin: AdminClient, group: str) -> GroupDetail:
    ms = await masters(admin)
    tables = await asyncio.gather(*(subscription_groups(admin, m.addr) for m in ms))
    configs = {m.name: group_config(t[group]) for m, t in zip(ms, tables) if group in t}
    clusters = sorted({m.cluster for m, t in zip(ms, tables) if group in t})
    progress: list[QueueProgress] = []
    tps, note = 0.0, ""
    try:
        table, tps = await ax.consume_stats(admin, group)
        mins = await ax.min_offsets(admin, table)
        progress = [QueueProgress(mq, int(w.get("brokerOffset", 0)), int(w.get("consumerOffset", 0)),
                                  int(w.get("lastTimestamp", 0) or 0), mins.get(mq, 0))
                    for mq, w in sorted(table.items())]
        diff, expired = total_diff(table), expired_total(table, mins)
    except AdminError as e:
        if e.code not in NOT_THERE:
            raise
        note, diff, expired = f"No consume progress: {e.remark}", 0, 0
    if not configs and not progress:
        raise NoSuchGroup(f"consumer group [{group}] does not exist: no broker has it and it has no offsets")
    connection, conn_note, clients = None, "", []
    try:
        connection = await ax.consumer_connection(admin, group)
    except AdminError as e:
        if e.code not in NOT_THERE:
            raise
        conn_note = "No consumer of this group is online."
    if connection:
        clients = [ClientInfo(str(c.get("clientId")), str(c.get("clientAddr")), str(c.get("language")),
                              version_desc(int(c.get("version", 0))))
                   for c in connection.get("connectionSet") or ()]
    return GroupDetail(group, configs, clusters, progress, tps, note, diff, expired, connection, conn_note, clients)


async def client_running(admin: AdminClient, group: str, client_id: str) -> ClientInfo:
    """consumerStatus -i for one client, asked only when its page is opened (a client is not disturbed, and the
    group's page not held up, by every view): bounded, a client that does not answer is said so."""
    c = ClientInfo(client_id, "", "", "")
    await _running(admin, group, c)
    return c


async def _running(admin: AdminClient, group: str, c: ClientInfo) -> None:
    try:
        info = await asyncio.wait_for(ax.running_info(admin, group, c.client_id, False), RUNNING_INFO_TIMEOUT)
        c.running = running_info_text(info) if info else ""
        if not info:
            c.error = "no broker to ask"
    except asyncio.TimeoutError:
        c.error = f"the client did not answer the running info request within {RUNNING_INFO_TIMEOUT:g} s"
    except (CommandError, OSError) as e:
        c.error = f"the running info request failed: {e}"
