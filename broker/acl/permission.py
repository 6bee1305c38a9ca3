"""Permissions (acl/common/Permission.java): the bits, their strings, the check, the admin-only codes, and the
"resource=PERM" lists of an account."""
from __future__ import annotations

from remoting.codes import RequestCode

from .errors import AclError

DENY = 1
ANY = 2
PUB = 4
SUB = 8

RETRY_PREFIX = "%RETRY%"
TRACE_TOPIC = "RMQ_SYS_TRACE_TOPIC"

ADMIN_CODES = frozenset((RequestCode.UPDATE_AND_CREATE_TOPIC, RequestCode.UPDATE_BROKER_CONFIG,
                         RequestCode.DELETE_TOPIC_IN_BROKER, RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
                         RequestCode.DELETE_SUBSCRIPTIONGROUP))

_PERMS = {"PUB": PUB, "SUB": SUB, "PUB|SUB": PUB | SUB, "SUB|PUB": PUB | SUB, "DENY": DENY}


def parse_perm(text: object) -> int:
    """parsePermFromString: anything unknown (or missing) is DENY."""
    if text is None:
        return DENY
    return _PERMS.get(str(text).strip(), DENY)


def check_permission(needed: int, owned: int) -> bool:
    if owned & DENY:
        return False
    if needed & ANY:
        return bool(owned & (PUB | SUB))
    return bool(needed & owned)


def is_retry_topic(resource: str | None) -> bool:
    return resource is not None and resource.startswith(RETRY_PREFIX)


def retry_topic(group: str | None) -> str | None:
    return None if group is None else RETRY_PREFIX + group


def shown(resource: str, is_group: bool) -> str:
    """PlainAccessResource.printStr: how a refusal names a resource."""
    return f"group:{resource[len(RETRY_PREFIX):]}" if is_group else f"topic:{resource}"


def split_tokens(text: str, sep: str) -> list[str]:
    """commons-lang StringUtils.split: adjacent separators make no empty token."""
    return [t for t in text.split(sep) if t]


def resource_perms(entries: list | None, is_topic: bool) -> dict[str, int]:
    """Permission.parseResourcePerms: "name=PERM" entries; groups are keyed by their retry topic."""
    out: dict[str, int] = {}
    for entry in entries or ():
        items = split_tokens(str(entry), "=")
        if len(items) != 2:
            raise AclError(f"Parse resource permission failed for {'topic' if is_topic else 'group'}:{entry}")
        name = items[0].strip()
        out[name if is_topic else RETRY_PREFIX + name] = parse_perm(items[1])
    return out


def check_resource_perms(entries: list | None) -> None:
    """Permission.checkResourcePerms: what an update request may carry."""
    for entry in entries or ():
        items = split_tokens(str(entry), "=")
        if len(items) != 2:
            raise AclError(f"Parse Resource format error for {entry}.\n"
                           "The expected resource format is 'Res=Perm'. For example: topicA=SUB")
        if items[1].strip() != "DENY" and parse_perm(items[1]) == DENY:
            raise AclError(f"Parse resource permission error for {entry}.\n"
                           "The expected permissions are 'SUB' or 'PUB' or 'SUB|PUB' or 'PUB|SUB'.")
