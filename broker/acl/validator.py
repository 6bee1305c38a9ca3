"""A request's check (PlainAccessValidator.parse + PlainPermissionManager.validate): the client IP, its access
key and signature, and the resources the request code needs, against the loaded accounts."""
from __future__ import annotations

from remoting import fastjson, signing
from remoting.codes import RequestCode as R
from remoting.command import RemotingCommand
from remoting.java_order import hashmap_order

from . import errors
from .errors import AclError
from .permission import (ADMIN_CODES, PUB, SUB, TRACE_TOPIC, check_permission, is_retry_topic, retry_topic,
                         shown)
from .tables import Account, AclTables


def needed_resources(cmd: RemotingCommand) -> dict[str, int] | None:
    """The topics and retry topics a request needs, and the permission for each, in Java's HashMap order (the
    first refused one is the one reported)."""
    ext = cmd.ext_fields or {}
    code = cmd.code
    need: dict[str, int] = {}

    def add(resource: str | None, perm: int) -> None:
        if resource is not None:
            need[resource] = perm
    try:
        if code == R.SEND_MESSAGE or code == R.SEND_MESSAGE_V2:
            topic_key, group_key = ("topic", "group") if code == R.SEND_MESSAGE else ("b", "a")
            topic = ext.get(topic_key)
            if is_retry_topic(topic):
                add(retry_topic(ext.get(group_key)), SUB)
            else:
                add(topic, PUB)
        elif code == R.CONSUMER_SEND_MSG_BACK:
            add(retry_topic(ext.get("group")), SUB)
        elif code == R.PULL_MESSAGE:
            add(ext.get("topic"), SUB)
            add(retry_topic(ext.get("consumerGroup")), SUB)
        elif code == R.QUERY_MESSAGE:
            add(ext.get("topic"), SUB)
        elif code == R.HEART_BEAT:
            if not cmd.body:
                raise AclError(None, errors.PARSE)        # HeartbeatData.decode(null): a NullPointerException
            data = fastjson.loads(bytes(cmd.body))
            for consumer in data.get("consumerDataSet") or ():
                add(retry_topic(consumer.get("groupName")), SUB)
                for sub in consumer.get("subscriptionDataSet") or ():
                    add(sub.get("topic"), SUB)
        elif code == R.UNREGISTER_CLIENT or code == R.GET_CONSUMER_LIST_BY_GROUP:
            # 4.9.7 decodes these headers field by field and only logs a missing or bad one: never a refusal
            add(retry_topic(ext.get("consumerGroup")), SUB)
        elif code == R.UPDATE_CONSUMER_OFFSET:
            add(retry_topic(ext.get("consumerGroup")), SUB)
            add(ext.get("topic"), SUB)
    except AclError:
        raise
    except (ValueError, TypeError, AttributeError) as e:
        # parse wraps whatever the decoding threw: AclException(t.getMessage(), t)
        raise AclError(str(e) or None, errors.PARSE) from None
    if not need:
        return None
    if len(need) == 1:
        return need
    return {k: need[k] for k in hashmap_order(need)}


def validate(tables: AclTables, cmd: RemotingCommand, ip: str) -> None:
    """Raise AclError when the request may not run; return when it may."""
    ext = cmd.ext_fields
    need = needed_resources(cmd) if ext is not None else None     # parse runs first: its errors come first
    if tables.globally_white(ip):
        return
    access_key = ext.get(signing.ACCESS_KEY) if ext is not None else None
    if access_key is None:
        raise AclError("No accessKey is configured", errors.NO_ACCESS_KEY)
    access_key = str(access_key)
    owned = tables.accounts.get(access_key)
    if owned is None:
        raise AclError(f"No acl config for {access_key}", errors.NO_ACL_CONFIG)
    if tables.account_white(owned, ip):
        return
    expected = signing.request_signature(owned.secret_key, ext, cmd.body, cmd.version)
    if not signing.signature_matches(expected, ext.get(signing.SIGNATURE)):
        raise AclError(f"Check signature failed for accessKey={access_key}", errors.BAD_SIGNATURE)
    if need is not None and need.get(TRACE_TOPIC) == PUB:
        return          # trace data may always be published
    check_perm(owned, cmd.code, need)


def check_perm(owned: Account, code: int, need: dict[str, int] | None) -> None:
    if code in ADMIN_CODES and not owned.admin:
        raise AclError(f"Need admin permission for request code={code}, but accessKey={owned.access_key} is not",
                       errors.NEED_ADMIN)
    if need is None or (owned.perms is None and owned.admin):
        return
    perms = owned.perms or {}
    for resource, needed in need.items():
        is_group = is_retry_topic(resource)
        listed = perms.get(resource)
        if listed is None:
            default = owned.default_group_perm if is_group else owned.default_topic_perm
            if not check_permission(needed, default):
                raise AclError(f"No default permission for {shown(resource, is_group)}", errors.NO_DEFAULT_PERM)
        elif not check_permission(needed, listed):
            raise AclError(f"No default permission for {shown(resource, is_group)}", errors.NO_LISTED_PERM)
