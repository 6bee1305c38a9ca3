"""Every mqadmin subcommand, in the order Apache's MQAdminStartup.initCommand registers them (the order of the
`mqadmin` list)."""
from __future__ import annotations

import importlib

from .cli import SubCommand

# modules holding COMMANDS lists, one per family
MODULES = ("namesrv_cmds", "topic_cmds", "group_cmds", "broker_cmds", "cluster_cmds", "export_cmds", "acl_cmds",
           "message_cmds", "consumer_cmds", "client_cmds", "stats_cmds")

APACHE_ORDER = (
    "updateTopic", "deleteTopic", "updateSubGroup", "deleteSubGroup", "updateBrokerConfig", "updateTopicPerm",
    "topicRoute", "topicStatus", "topicClusterList", "brokerStatus", "queryMsgById", "queryMsgByKey",
    "queryMsgByUniqueKey", "queryMsgByOffset", "queryMsgTraceById", "printMsg", "printMsgByQueue", "sendMsgStatus",
    "brokerConsumeStats", "producerConnection", "consumerConnection", "consumerProgress", "consumerStatus",
    "cloneGroupOffset", "producer", "clusterList", "topicList", "updateKvConfig", "deleteKvConfig", "wipeWritePerm",
    "addWritePerm", "resetOffsetByTime", "skipAccumulatedMessage", "updateOrderConf", "cleanExpiredCQ",
    "deleteExpiredCommitLog", "cleanUnusedTopic", "startMonitoring", "statsAll", "allocateMQ", "checkMsgSendRT",
    "clusterRT", "getNamesrvConfig", "updateNamesrvConfig", "getBrokerConfig", "getConsumerConfig", "queryCq",
    "sendMessage", "consumeMessage", "updateAclConfig", "deleteAclConfig", "clusterAclConfigVersion",
    "updateGlobalWhiteAddr", "getAclConfig", "exportMetadata", "exportConfigs", "exportMetrics")


def commands() -> dict[str, SubCommand]:
    """name -> SubCommand: Apache's in Apache's order, then ours (importMetadata)."""
    found: dict[str, SubCommand] = {}
    for mod in MODULES:
        module = importlib.import_module(f"{__package__}.{mod}")
        for cmd in module.COMMANDS:
            found[cmd.name] = cmd
    ordered = {n: found[n] for n in APACHE_ORDER if n in found}
    ordered.update((n, c) for n, c in found.items() if n not in ordered)
    return ordered
