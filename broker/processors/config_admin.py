"""Broker configuration admin (AdminBrokerProcessor.java's config family): read and update the running
config; the timer checkpoint (5.x)."""
from __future__ import annotations

import logging
from typing import Callable

from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_response
from remoting.config import RuntimeConfiguration, parse_properties
from remoting.dispatch import Handler
from store.message_store import MessageStore
from store.timer import checkpoint as timer_checkpoint

log = logging.getLogger("broker")


class ConfigAdminProcessor:
    def __init__(self, store: MessageStore, configuration: RuntimeConfiguration,
                 on_permission_change: Callable[[], None]) -> None:
        self.store = store
        self.configuration = configuration
        self.on_permission_change = on_permission_change

    def table(self) -> dict[int, Handler]:
        R = RequestCode
        return {R.GET_BROKER_CONFIG: self.get_broker_config, R.UPDATE_BROKER_CONFIG: self.update_broker_config,
                R.GET_TIMER_CHECK_POINT: self.get_timer_check_point}

    def get_broker_config(self, conn, req):
        """Every config key as properties text; header `version` = the configuration's DataVersion JSON."""
        return make_response(req, ResponseCode.SUCCESS, ext_fields={"version": self.configuration.data_version_json()},
                             body=self.configuration.format_all().encode("utf-8"))

    def update_broker_config(self, conn, req):
        """Apply properties text to the running config and persist it (the -c file); a brokerPermission change
        is registered with the NameServers at once."""
        if req.body:
            text = bytes(req.body).decode("utf-8", errors="replace")
            refused = self.configuration.update_from_text(text, getattr(conn, "remote_addr", "?"))
            if refused is not None:
                return make_response(req, refused[0], refused[1])
            if "brokerPermission" in parse_properties(text):
                self.on_permission_change()
        return make_response(req, ResponseCode.SUCCESS)

    def get_timer_check_point(self, conn, req):
        """GET_TIMER_CHECK_POINT (5.x): config/timercheck as TimerCheckpoint.encode's 56 bytes."""
        timer = self.store.timer
        if timer is None or timer.checkpoint is None:
            return make_response(req, ResponseCode.SYSTEM_ERROR, "The checkpoint is null")
        return make_response(req, ResponseCode.SUCCESS, body=timer_checkpoint.encode(timer.checkpoint.values()))
