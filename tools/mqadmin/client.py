"""AdminClient: the requests every mqadmin subcommand needs (DefaultMQAdminExt's plumbing): NameServer list, a
request with its answer, routes, cluster info, the masters of a cluster or topic."""
from __future__ import annotations

import os

from remoting import fastjson
from remoting.bodies import ClusterInfo, TopicRouteData
from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import RemotingCommand, make_request
from remoting.config import parse_properties
from remoting.errors import RemotingConnectError, RemotingError, RemotingTimeoutError
from remoting.tls import client_context_if_enabled, load_tls_config

from .cli import CommandError, java_hash_order
from .credentials import Credentials

DEFAULT_TIMEOUT = 5.0


class AdminError(CommandError):
    """An error answer from a broker or NameServer: Java's MQClientException/MQBrokerException text."""

    def __init__(self, code: int, remark: str | None) -> None:
        super().__init__(f"CODE: {code}  DESC: {remark}")
        self.code = code
        self.remark = remark


class AdminClient:
    def __init__(self, namesrv_addr: str | None, timeout: float = DEFAULT_TIMEOUT,
                 credentials: Credentials | None = None) -> None:
        # -n wins, then NAMESRV_ADDR (MixAll.NAMESRV_ADDR_ENV), then -Drocketmq.namesrv.addr's env twin
        self._namesrv_addr = namesrv_addr or os.environ.get("NAMESRV_ADDR")
        self.timeout = timeout
        # tools.yml's keys (tools.mqadmin.credentials): every request is signed with them, as Apache's mqadmin
        # hands AclClientRPCHook to DefaultMQAdminExt
        self.credentials = credentials
        self.remoting = RemotingClient()
        # TLS as Apache's mqadmin decides it (ClientConfig.useTLS = TlsSystemConfig.tlsEnable): -Dtls.enable=true
        # and the other -Dtls.* keys in JAVA_OPT, then the tls.config.file (remoting/tls)
        self.remoting.ssl = client_context_if_enabled(load_tls_config())

    async def close(self) -> None:
        await self.remoting.close()

    @property
    def namesrvs(self) -> list[str]:
        if not self._namesrv_addr:
            raise CommandError("No name server address, please set it: -n host:port or the NAMESRV_ADDR "
                               "environment variable")
        return [a.strip() for a in self._namesrv_addr.split(";") if a.strip()]

    def request(self, code: int, ext: dict | None = None, body: bytes | None = None,
                language: str = "JAVA") -> RemotingCommand:
        """A request command, signed when there are credentials: every request mqadmin sends is built here."""
        if self.credentials is not None:
            ext = self.credentials.sign(ext, body)
        req = make_request(code, ext, body)
        req.language = language
        return req

    async def call(self, addr: str, code: int, ext: dict | None = None, body: bytes | None = None,
                   timeout: float | None = None) -> RemotingCommand:
        """One request; a connection failure becomes a CommandError naming the address."""
        try:
            return await self.remoting.invoke(addr, self.request(code, ext, body), timeout=timeout or self.timeout)
        except RemotingConnectError as e:
            raise CommandError(str(e) if str(e).startswith("connect to") else f"connect to {addr} failed: {e}") \
                from None
        except (OSError, ConnectionError) as e:
            raise CommandError(f"connect to {addr} failed: {e}") from None
        except (TimeoutError, RemotingTimeoutError):
            raise CommandError(f"wait response on the channel <{addr}> timeout, {timeout or self.timeout:g}(s)") \
                from None
        except RemotingError as e:
            raise CommandError(f"request to {addr} failed: {e}") from None

    async def ok(self, addr: str, code: int, ext: dict | None = None, body: bytes | None = None,
                 timeout: float | None = None) -> RemotingCommand:
        """call(), and an error answer raised as AdminError."""
        resp = await self.call(addr, code, ext, body, timeout)
        if resp.code != ResponseCode.SUCCESS:
            raise AdminError(resp.code, resp.remark)
        return resp

    async def namesrv(self, code: int, ext: dict | None = None, body: bytes | None = None) -> RemotingCommand:
        """A request to the first NameServer that answers (invokeForNameSrvAtLeastOnce)."""
        last: Exception | None = None
        for addr in self.namesrvs:
            try:
                return await self.ok(addr, code, ext, body)
            except AdminError:
                raise
            except CommandError as e:
                last = e
        raise last or CommandError("no name server")

    async def route(self, topic: str) -> TopicRouteData:
        resp = await self.namesrv(RequestCode.GET_ROUTEINFO_BY_TOPIC, {"topic": topic})
        return TopicRouteData.from_json(fastjson.loads(resp.body))

    async def cluster_info(self) -> ClusterInfo:
        resp = await self.namesrv(RequestCode.GET_BROKER_CLUSTER_INFO)
        return ClusterInfo.from_json(fastjson.loads(resp.body))

    async def cluster_masters(self, cluster: str) -> list[str]:
        """Master addresses of a cluster's brokers (CommandUtil.fetchMasterAddrByClusterName)."""
        info = await self.cluster_info()
        names = info.clusterAddrTable.get(cluster)
        if names is None:
            raise CommandError(f"cluster [{cluster}] not found. Make sure the specified clusterName exists or the "
                               f"name server connected to is correct.")
        out = []
        for name in java_hash_order(names):
            bd = info.brokerAddrTable.get(name)
            if bd is not None and 0 in bd.brokerAddrs:
                out.append(bd.brokerAddrs[0])
        return java_hash_order(out)     # a HashSet in Java: its order, so output lines come as Apache's do

    async def cluster_brokers(self, cluster: str) -> list[str]:
        """Every address (masters and slaves) of a cluster's brokers (fetchMasterAndSlaveAddrByClusterName)."""
        return java_hash_order(cluster_addrs(await self.cluster_info(), cluster))


def cluster_addrs(info: ClusterInfo, cluster: str) -> list[str]:
    """ClusterInfo.retrieveAllAddrByCluster: every address of every broker of a cluster, [] for an unknown one."""
    out = []
    for name in java_hash_order(info.clusterAddrTable.get(cluster, ())):
        bd = info.brokerAddrTable.get(name)
        out.extend(addr for _, addr in sorted((bd.brokerAddrs if bd else {}).items()))
    return out


def master_addrs(route: TopicRouteData) -> list[str]:
    return [b.brokerAddrs[0] for b in route.brokerDatas if 0 in b.brokerAddrs]


# --- helpers the subcommands share (DefaultMQAdminExt / CommandUtil equivalents) ---

async def broker_targets(admin: AdminClient, addr: str | None, cluster: str | None,
                         masters_only: bool = True) -> list[str]:
    """-b ADDR, else the masters (or every address) of -c CLUSTER; [] when neither is given."""
    if addr:
        return [addr]
    if cluster:
        return await (admin.cluster_masters(cluster) if masters_only else admin.cluster_brokers(cluster))
    return []


async def all_namesrvs(admin: AdminClient, code: int, ext: dict | None = None,
                       body: bytes | None = None) -> list[tuple[str, RemotingCommand]]:
    """The same request to every NameServer of -n (as MQClientAPIImpl's KV and config updates)."""
    return [(addr, await admin.ok(addr, code, ext, body)) for addr in admin.namesrvs]


async def json_body(admin: AdminClient, addr: str, code: int, ext: dict | None = None):
    resp = await admin.ok(addr, code, ext)
    return fastjson.loads(resp.body) if resp.body else {}


async def topic_configs(admin: AdminClient, addr: str) -> dict[str, dict]:
    """GET_ALL_TOPIC_CONFIG: topic -> TopicConfig JSON object."""
    return dict((await json_body(admin, addr, RequestCode.GET_ALL_TOPIC_CONFIG)).get("topicConfigTable") or {})


# TopicValidator's system topics (4.9.7)
SYSTEM_TOPICS = frozenset({"TBW102", "SCHEDULE_TOPIC_XXXX", "BenchmarkTest", "RMQ_SYS_TRANS_HALF_TOPIC",
                           "RMQ_SYS_TRACE_TOPIC", "RMQ_SYS_TRANS_OP_HALF_TOPIC", "TRANS_CHECK_MAX_TIME_TOPIC",
                           "SELF_TEST_TOPIC", "OFFSET_MOVED_EVENT"})


async def system_topics(admin: AdminClient, addr: str) -> set[str]:
    """GET_SYSTEM_TOPIC_LIST_FROM_BROKER; a broker that does not answer it gets the set a 4.9.7 broker would give
    (TopicValidator's system topics, the cluster and broker names and each cluster's _REPLY_TOPIC)."""
    try:
        return set((await json_body(admin, addr, RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_BROKER)).get("topicList")
                   or ())
    except AdminError as e:
        if e.code != ResponseCode.REQUEST_CODE_NOT_SUPPORTED:
            raise
    info = await admin.cluster_info()
    out = set(SYSTEM_TOPICS) | set(info.brokerAddrTable)
    for cluster in info.clusterAddrTable:
        out |= {cluster, f"{cluster}_REPLY_TOPIC"}
    return out


async def subscription_groups(admin: AdminClient, addr: str) -> dict[str, dict]:
    """GET_ALL_SUBSCRIPTIONGROUP_CONFIG: group -> SubscriptionGroupConfig JSON object."""
    body = await json_body(admin, addr, RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG)
    return dict(body.get("subscriptionGroupTable") or {})


async def runtime_info(admin: AdminClient, addr: str) -> dict[str, str]:
    """GET_BROKER_RUNTIME_INFO: the broker's KVTable."""
    return {str(k): str(v) for k, v in ((await json_body(admin, addr, RequestCode.GET_BROKER_RUNTIME_INFO))
                                        .get("table") or {}).items()}


async def broker_config(admin: AdminClient, addr: str) -> dict[str, str]:
    resp = await admin.ok(addr, RequestCode.GET_BROKER_CONFIG)
    return parse_properties((resp.body or b"").decode("utf-8"))


async def broker_name_of(admin: AdminClient, addr: str) -> str:
    """CommandUtil.fetchBrokerNameByAddr."""
    info = await admin.cluster_info()
    for name, bd in info.brokerAddrTable.items():
        if addr in bd.brokerAddrs.values():
            return name
    raise CommandError(f"broker {addr} is not registered in the name server. Make sure the specified clusterName "
                       f"exists or the name server connected to is correct.")
