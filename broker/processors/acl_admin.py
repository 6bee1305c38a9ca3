"""ACL admin (the ACL family of AdminBrokerProcessor.java, 4.9.7): create/update and delete an account, the
global white addresses, the config version and the whole config. With ACL off Java has no validator: the
edits answer their failure code with no remark, the two reads answer nothing (the caller times out)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from remoting import fastjson
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_response
from remoting.dispatch import Handler
from remoting.headers import Header

from ..acl.errors import AclError
from ..acl.service import AclService

log = logging.getLogger("broker")


# 4.9.7 marks accessKey / globalWhiteAddrs / aclFileFullPath @CFNotNull but decodes these headers field by field
# and only logs a missing one (Apache's mqadmin leaves aclFileFullPath out without -p): nothing is required here

@dataclass(slots=True)
class CreateAccessConfigRequestHeader(Header):
    accessKey: str | None = None
    secretKey: str | None = None
    whiteRemoteAddress: str | None = None
    admin: bool = False
    defaultTopicPerm: str | None = None
    defaultGroupPerm: str | None = None
    topicPerms: str | None = None
    groupPerms: str | None = None


@dataclass(slots=True)
class DeleteAccessConfigRequestHeader(Header):
    accessKey: str | None = None


@dataclass(slots=True)
class UpdateGlobalWhiteAddrsConfigRequestHeader(Header):
    globalWhiteAddrs: str | None = None
    aclFileFullPath: str | None = None


def _java(value: object) -> str:
    return "null" if value is None else str(value)


def java_split(text: str | None, sep: str = ",") -> list[str] | None:
    """UtilAll.split: String.split, whose trailing empty strings are dropped ("" stays [""])."""
    if text is None:
        return None
    if text == "":
        return [""]
    parts = text.split(sep)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


class AclAdminProcessor:
    def __init__(self, acl: AclService | None, broker_name: str, cluster_name: str, broker_addr: str) -> None:
        self.acl = acl
        self.broker_name = broker_name
        self.cluster_name = cluster_name
        self.broker_addr = broker_addr

    def table(self) -> dict[int, Handler]:
        R = RequestCode
        return {R.UPDATE_AND_CREATE_ACL_CONFIG: self.update_account, R.DELETE_ACL_CONFIG: self.delete_account,
                R.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG: self.update_global_white,
                R.GET_BROKER_CLUSTER_ACL_INFO: self.config_version, R.GET_BROKER_CLUSTER_ACL_CONFIG: self.config}

    def _edit(self, req, failed: int, what: str, action):
        try:
            if self.acl is None:
                return make_response(req, failed)                 # Java: a NullPointerException's null message
            if action():
                return make_response(req, ResponseCode.SUCCESS)
            log.warning("%s failed", what)
            return make_response(req, failed, f"{what} failed.")
        except AclError as e:
            log.warning("%s refused: %s", what, e.message)
            return make_response(req, failed, e.message)
        except OSError as e:
            log.error("%s failed: %s", what, e)
            return make_response(req, failed, str(e))

    def update_account(self, conn, req):
        h = CreateAccessConfigRequestHeader.decode(req.ext_fields)
        cfg = {"accessKey": h.accessKey, "secretKey": h.secretKey, "whiteRemoteAddress": h.whiteRemoteAddress,
               "defaultTopicPerm": h.defaultTopicPerm, "defaultGroupPerm": h.defaultGroupPerm,
               "topicPerms": java_split(h.topicPerms), "groupPerms": java_split(h.groupPerms), "admin": h.admin}
        return self._edit(req, ResponseCode.UPDATE_AND_CREATE_ACL_CONFIG_FAILED,
                          f"The accesskey[{_java(h.accessKey)}] corresponding to accessConfig has been updated",
                          lambda: self.acl.update_account(cfg))

    def delete_account(self, conn, req):
        h = DeleteAccessConfigRequestHeader.decode(req.ext_fields)
        log.info("DeleteAccessConfig called by %s", getattr(conn, "remote_addr", "?"))
        return self._edit(req, ResponseCode.DELETE_ACL_CONFIG_FAILED,
                          f"The accesskey[{_java(h.accessKey)}] corresponding to accessConfig has been deleted",
                          lambda: self.acl.delete_account(h.accessKey))

    def update_global_white(self, conn, req):
        h = UpdateGlobalWhiteAddrsConfigRequestHeader.decode(req.ext_fields)
        return self._edit(req, ResponseCode.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED,
                          f"The globalWhiteAddresses[{_java(h.globalWhiteAddrs)}] has been updated",
                          lambda: self.acl.update_global_white(java_split(h.globalWhiteAddrs), h.aclFileFullPath))

    def config_version(self, conn, req):
        if self.acl is None:
            return None
        return make_response(req, ResponseCode.SUCCESS, ext_fields={
            "version": self.acl.version_json(), "allAclFileVersion": self.acl.all_versions_json(),
            "brokerName": self.broker_name, "brokerAddr": self.broker_addr, "clusterName": self.cluster_name})

    def config(self, conn, req):
        if self.acl is None:
            return None
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(self.acl.all_config()))
