"""Store maintenance on request (AdminBrokerProcessor.java's cleanExpiredConsumeQueue, deleteExpiredCommitLog,
cleanUnusedTopic): the store does the work (store/maintenance.py, store/cleanup.py), files are deleted on the
store's I/O thread."""
from __future__ import annotations

import asyncio
import logging

from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_response
from remoting.dispatch import Handler
from store.maintenance import clean_expired_consume_queues, clean_unused_topics
from store.message_store import MessageStore

from ..config import BrokerConfig
from ..stats.manager import BrokerStatsManager
from ..topic_config import TopicConfigManager

log = logging.getLogger("broker")


class StoreAdminProcessor:
    def __init__(self, config: BrokerConfig, store: MessageStore, topics: TopicConfigManager,
                 stats: BrokerStatsManager | None = None) -> None:
        self.config = config
        self.store = store
        self.topics = topics
        self.stats = stats

    def table(self) -> dict[int, Handler]:
        R = RequestCode
        return {R.CLEAN_EXPIRED_CONSUMEQUEUE: self.clean_expired_consume_queue,
                R.DELETE_EXPIRED_COMMITLOG: self.delete_expired_commit_log,
                R.CLEAN_UNUSED_TOPIC: self.clean_unused_topic}

    async def clean_expired_consume_queue(self, conn, req):
        """The consume queues whose every entry points below the commit log's first offset are deleted."""
        log.warning("invoke cleanExpiredConsumeQueue start.")
        _gone, destroy = clean_expired_consume_queues(self.store)
        await asyncio.get_running_loop().run_in_executor(self.store.io, destroy)
        log.warning("invoke cleanExpiredConsumeQueue end.")
        return make_response(req, ResponseCode.SUCCESS)

    def delete_expired_commit_log(self, conn, req):
        """executeDeleteFilesManually: the next 20 clean passes delete expired commit-log files whatever the
        hour (deleteWhen) and disk use; the answer does not wait for them."""
        log.warning("invoke deleteExpiredCommitLog start.")
        self.store.cleanup.request_manual_delete()
        log.warning("invoke deleteExpiredCommitLog end.")
        return make_response(req, ResponseCode.SUCCESS)

    async def clean_unused_topic(self, conn, req):
        """The consume queues of every topic without a topic config are deleted."""
        log.warning("invoke cleanUnusedTopic start.")
        gone, destroy = clean_unused_topics(self.store, self.topics.table.keys())
        await asyncio.get_running_loop().run_in_executor(self.store.io, destroy)
        if self.stats is not None and self.config.autoDeleteUnusedStats:
            for topic in gone:
                self.stats.on_topic_deleted(topic)
        log.warning("invoke cleanUnusedTopic end.")
        return make_response(req, ResponseCode.SUCCESS)
