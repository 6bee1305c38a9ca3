"""Request handlers of the NameServer (DefaultRequestProcessor.java, 4.9.7): one method per request code,
each decoding its typed header, calling the route table or KV store, and building the Java response."""
from __future__ import annotations

import logging
import time
import zlib
from typing import Callable

from remoting import fastjson
from remoting.bodies import DataVersion, RegisterBrokerBody, TopicConfigSerializeWrapper
from remoting.codes import MQVersion, RequestCode, ResponseCode
from remoting.command import RemotingCommand, make_response
from remoting.connection import Connection
from remoting.dispatch import Handler
from remoting.headers import (AddWritePermOfBrokerRequestHeader, AddWritePermOfBrokerResponseHeader,
                              DeleteKVConfigRequestHeader, DeleteTopicFromNamesrvRequestHeader,
                              GetKVConfigRequestHeader, GetKVConfigResponseHeader,
                              GetKVListByNamespaceRequestHeader, GetRouteInfoRequestHeader,
                              GetTopicsByClusterRequestHeader, PutKVConfigRequestHeader,
                              QueryDataVersionRequestHeader, QueryDataVersionResponseHeader,
                              RegisterBrokerRequestHeader, RegisterBrokerResponseHeader,
                              UnRegisterBrokerRequestHeader, WipeWritePermOfBrokerRequestHeader,
                              WipeWritePermOfBrokerResponseHeader)

from .config import NamesrvConfiguration
from .kv_config import NAMESPACE_ORDER_TOPIC_CONFIG, KVConfig
from .route_info import RouteInfo

log = logging.getLogger("namesrv")

FAQ_APPLY_TOPIC = "\nSee http://rocketmq.apache.org/docs/faq/ for further details."


def _now_ms() -> int:
    return int(time.time() * 1000)


class NamesrvProcessor:
    def __init__(self, routes: RouteInfo, kv: KVConfig, configuration: NamesrvConfiguration,
                 clock: Callable[[], int] = _now_ms) -> None:
        self.routes = routes
        self.kv = kv
        self.configuration = configuration
        self.clock = clock

    def table(self) -> dict[int, Handler]:
        R = RequestCode
        return {
            R.PUT_KV_CONFIG: self.put_kv_config,
            R.GET_KV_CONFIG: self.get_kv_config,
            R.DELETE_KV_CONFIG: self.delete_kv_config,
            R.GET_KVLIST_BY_NAMESPACE: self.get_kv_list_by_namespace,
            R.QUERY_DATA_VERSION: self.query_data_version,
            R.REGISTER_BROKER: self.register_broker,
            R.UNREGISTER_BROKER: self.unregister_broker,
            R.GET_ROUTEINFO_BY_TOPIC: self.get_route_info_by_topic,
            R.GET_BROKER_CLUSTER_INFO: self.get_broker_cluster_info,
            R.WIPE_WRITE_PERM_OF_BROKER: self.wipe_write_perm_of_broker,
            R.ADD_WRITE_PERM_OF_BROKER: self.add_write_perm_of_broker,
            R.GET_ALL_TOPIC_LIST_FROM_NAMESERVER: self.get_all_topic_list,
            R.DELETE_TOPIC_IN_NAMESRV: self.delete_topic_in_namesrv,
            R.GET_TOPICS_BY_CLUSTER: self.get_topics_by_cluster,
            R.GET_SYSTEM_TOPIC_LIST_FROM_NS: self.get_system_topic_list,
            R.GET_UNIT_TOPIC_LIST: self.get_unit_topic_list,
            R.GET_HAS_UNIT_SUB_TOPIC_LIST: self.get_has_unit_sub_topic_list,
            R.GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST: self.get_has_unit_sub_ununit_topic_list,
            R.UPDATE_NAMESRV_CONFIG: self.update_config,
            R.GET_NAMESRV_CONFIG: self.get_config,
        }

    # ------------------------------------------------------------ KV config
    def put_kv_config(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        h = PutKVConfigRequestHeader.decode(req.ext_fields)
        self.kv.put(h.namespace, h.key, h.value)
        return make_response(req, ResponseCode.SUCCESS)

    def get_kv_config(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        h = GetKVConfigRequestHeader.decode(req.ext_fields)
        value = self.kv.get(h.namespace, h.key)
        if value is not None:
            return make_response(req, ResponseCode.SUCCESS, ext_fields=GetKVConfigResponseHeader(value).encode())
        return make_response(req, ResponseCode.QUERY_NOT_FOUND,
                             f"No config item, Namespace: {h.namespace} Key: {h.key}", ext_fields={})

    def delete_kv_config(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        h = DeleteKVConfigRequestHeader.decode(req.ext_fields)
        self.kv.delete(h.namespace, h.key)
        return make_response(req, ResponseCode.SUCCESS)

    def get_kv_list_by_namespace(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        h = GetKVListByNamespaceRequestHeader.decode(req.ext_fields)
        body = self.kv.list_by_namespace(h.namespace)
        if body is not None:
            return make_response(req, ResponseCode.SUCCESS, body=body)
        return make_response(req, ResponseCode.QUERY_NOT_FOUND, f"No config item, Namespace: {h.namespace}")

    # ------------------------------------------------------------ brokers
    def register_broker(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        h = RegisterBrokerRequestHeader.decode(req.ext_fields)
        if h.bodyCrc32 and req.body is not None and (zlib.crc32(req.body) & 0x7FFFFFFF) != h.bodyCrc32:
            log.warning("receive registerBroker request, crc32 not match, from %s", conn.remote_addr)
            return make_response(req, ResponseCode.SYSTEM_ERROR, "crc32 not match", ext_fields={})
        if req.body is None:
            body = RegisterBrokerBody()
        elif req.version >= MQVersion.V3_0_11:
            body = RegisterBrokerBody.decode(req.body, bool(h.compressed))
        else:
            body = RegisterBrokerBody(TopicConfigSerializeWrapper.from_json(fastjson.loads(req.body)), None)
        result = self.routes.register_broker(
            h.clusterName, h.brokerAddr, h.brokerName, h.brokerId, h.haServerAddr,
            body.topicConfigSerializeWrapper, body.filterServerList, conn, self.clock(),
            heartbeat_timeout_ms=h.heartbeatTimeoutMillis)
        out = None
        if self.configuration.namesrv.returnOrderTopicConfigToBroker:
            out = self.kv.list_by_namespace(NAMESPACE_ORDER_TOPIC_CONFIG)
        return make_response(req, ResponseCode.SUCCESS, body=out,
                             ext_fields=RegisterBrokerResponseHeader(result.ha_server_addr, result.master_addr).encode())

    def unregister_broker(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        h = UnRegisterBrokerRequestHeader.decode(req.ext_fields)
        self.routes.unregister_broker(h.clusterName, h.brokerAddr, h.brokerName, h.brokerId)
        return make_response(req, ResponseCode.SUCCESS)

    def query_data_version(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        h = QueryDataVersionRequestHeader.decode(req.ext_fields)
        version = DataVersion.from_json(fastjson.loads(req.body)) if req.body else DataVersion()
        changed = self.routes.is_broker_topic_config_changed(h.brokerAddr, version)
        if not changed:
            self.routes.update_broker_info_update_timestamp(h.brokerAddr, self.clock())
        stored = self.routes.query_broker_topic_config(h.brokerAddr)
        return make_response(req, ResponseCode.SUCCESS,
                             ext_fields=QueryDataVersionResponseHeader(changed).encode(),
                             body=fastjson.dumpb(stored) if stored is not None else None)

    # ------------------------------------------------------------ routes
    def get_route_info_by_topic(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        h = GetRouteInfoRequestHeader.decode(req.ext_fields)
        route = self.routes.pickup_topic_route_data(h.topic)
        if route is None:
            return make_response(req, ResponseCode.TOPIC_NOT_EXIST,
                                 f"No topic route info in name server for the topic: {h.topic}{FAQ_APPLY_TOPIC}")
        if self.configuration.namesrv.orderMessageEnable:
            route.orderTopicConf = self.kv.get(NAMESPACE_ORDER_TOPIC_CONFIG, h.topic)
        if req.version >= MQVersion.V4_9_4 or h.acceptStandardJsonOnly:
            # BrowserCompatible + MapSortField: quoted map keys, non-ASCII escaped
            body = fastjson.dumpb(route, quote_int_keys=True, ascii_only=True)
        else:
            body = fastjson.dumpb(route)
        return make_response(req, ResponseCode.SUCCESS, body=body)

    def get_broker_cluster_info(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        # Java writes brokerAddrs with unquoted integer keys here ({0:"host:port"}); every client accepts it.
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(self.routes.cluster_info()))

    def wipe_write_perm_of_broker(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        h = WipeWritePermOfBrokerRequestHeader.decode(req.ext_fields)
        count = self.routes.wipe_write_perm(h.brokerName)
        log.info("wipe write perm of broker[%s], client: %s, %d", h.brokerName, conn.remote_addr, count)
        return make_response(req, ResponseCode.SUCCESS, ext_fields=WipeWritePermOfBrokerResponseHeader(count).encode())

    def add_write_perm_of_broker(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        h = AddWritePermOfBrokerRequestHeader.decode(req.ext_fields)
        count = self.routes.add_write_perm(h.brokerName)
        log.info("add write perm of broker[%s], client: %s, %d", h.brokerName, conn.remote_addr, count)
        return make_response(req, ResponseCode.SUCCESS, ext_fields=AddWritePermOfBrokerResponseHeader(count).encode())

    def delete_topic_in_namesrv(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        h = DeleteTopicFromNamesrvRequestHeader.decode(req.ext_fields)
        self.routes.delete_topic(h.topic, h.clusterName)
        return make_response(req, ResponseCode.SUCCESS)

    # ------------------------------------------------------------ topic lists
    def get_all_topic_list(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        if not self.configuration.namesrv.enableAllTopicList:
            return make_response(req, ResponseCode.SYSTEM_ERROR, "disable")
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(self.routes.all_topics()))

    def get_topics_by_cluster(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        h = GetTopicsByClusterRequestHeader.decode(req.ext_fields)
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(self.routes.topics_by_cluster(h.cluster)))

    def get_system_topic_list(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(self.routes.system_topics()))

    def get_unit_topic_list(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(self.routes.unit_topics()))

    def get_has_unit_sub_topic_list(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(self.routes.has_unit_sub_topics()))

    def get_has_unit_sub_ununit_topic_list(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        return make_response(req, ResponseCode.SUCCESS,
                             body=fastjson.dumpb(self.routes.has_unit_sub_ununit_topics()))

    # ------------------------------------------------------------ config
    def update_config(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        if req.body:
            try:
                text = bytes(req.body).decode("utf-8")
            except UnicodeDecodeError as e:
                return make_response(req, ResponseCode.SYSTEM_ERROR, f"UnsupportedEncodingException {e}")
            error = self.configuration.update_from_text(text, conn.remote_addr)
            if error is not None:
                code, remark = error
                return make_response(req, code, remark)
        return make_response(req, ResponseCode.SUCCESS)

    def get_config(self, conn: Connection, req: RemotingCommand) -> RemotingCommand:
        content = self.configuration.format_all()
        return make_response(req, ResponseCode.SUCCESS, body=content.encode("utf-8") if content else None)
