"""Address patterns (acl/plain/RemoteAddressStrategyFactory.java): which client IPs a whiteRemoteAddress or a
globalWhiteRemoteAddresses entry lets through. A pattern Java refuses raises AclError; matching never does."""
from __future__ import annotations

import ipaddress
import re
from typing import Callable

from .errors import AclError
from .permission import split_tokens

Matcher = Callable[[str], bool]

_V4 = re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$")


def is_ipv4(s: str) -> bool:
    """commons-validator's isValidInet4Address: four decimal groups up to 255, no leading zeros."""
    m = _V4.match(s)
    return m is not None and all(int(g) <= 255 and (len(g) == 1 or g[0] != "0") for g in m.groups())


def is_ipv6(s: str) -> bool:
    if ":" not in s or "%" in s:
        return False
    try:
        ipaddress.IPv6Address(s)
    except ValueError:
        return False
    return True


def client_ip(remote_addr: str) -> str:
    """The IP a request is matched by: Java cuts the remote "ip:port" at its last colon; an IPv6 address is in
    Inet6Address.getHostAddress form (eight groups, no zero compression)."""
    host = remote_addr[:remote_addr.rfind(":")] if ":" in remote_addr else remote_addr
    host = host.strip("[]").split("%", 1)[0]
    if ":" in host:
        try:
            host = ":".join(f"{int(g, 16):x}" for g in ipaddress.IPv6Address(host).exploded.split(":"))
        except ValueError:
            pass
    return host


def expand_ip(address: str, part: int) -> str:
    """AclUtils.expandIP: upper case, "::" widened to `part` groups, each group padded to four digits."""
    address = address.upper()
    pad = part - address.count(":")
    if pad > 0:
        address = address.replace("::", ":" * (pad + 1))
    return ":".join(g if len(g) >= 4 else g.rjust(4, "0") for g in address.split(":"))


def _parse_int(text: str, base: int = 10) -> int:
    try:
        return int(text.strip(), base)
    except ValueError:
        raise AclError(f'For input string: "{text}"') from None


def _in_ipv4_scope(address: str, count: int) -> bool:
    groups = split_tokens(address, ".")
    return len(groups) == 4 and all(0 <= _parse_int(g) <= 255 for g in groups[:count])


def _in_ipv6_scope(address: str, count: int) -> bool:
    groups = split_tokens(expand_ip(address, 8), ":")
    for g in groups[:count]:
        try:
            if not 0 <= int(g, 16) <= 0xFFFF:
                return False
        except ValueError:
            return False
    return True


def _verify(pattern: str, count: int) -> None:
    ok = _in_ipv6_scope(pattern, count) if ":" in pattern else _in_ipv4_scope(pattern, count)
    if not ok:
        raise AclError(f"Netaddress examine scope Exception netaddress is {pattern}")


def _nothing(ip: str) -> bool:
    return False


def _everything(ip: str) -> bool:
    return True


def _multiple(addresses: list[str]) -> Matcher:
    wanted = set()
    for a in addresses:
        if is_ipv4(a):
            wanted.add(a)
        elif is_ipv6(a):
            wanted.add(expand_ip(a, 8))
        else:
            raise AclError(f"Netaddress examine Exception netaddress is {a}")

    def match(ip: str) -> bool:
        return (expand_ip(ip, 8) if is_ipv6(ip) else ip) in wanted
    return match


def _one(address: str) -> Matcher:
    if not (is_ipv4(address) or is_ipv6(address)):
        raise AclError(f"Netaddress examine Exception netaddress is {address}")
    want = expand_ip(address, 8).upper()
    return lambda ip: expand_ip(ip, 8).upper() == want


def _bounds(value: str, base: int, top: int) -> tuple[int, int] | None:
    """One group of a range pattern: "*" is the whole group, "a-b" a range; anything else is no range."""
    if value == "*":
        return 0, top
    if "-" in value:
        if value.startswith("-"):
            raise AclError(f"RangeRemoteAddressStrategy netaddress examine scope Exception value {value} ")
        ends = split_tokens(value, "-")
        start, end = _parse_int(ends[0], base), _parse_int(ends[1] if len(ends) > 1 else "", base)
        if not (0 <= start <= top and 0 <= end <= top and start <= end):
            raise AclError(f"RangeRemoteAddressStrategy netaddress examine scope Exception start is {start} , "
                           f"end is {end}")
        return start, end
    return None


def _ipv6_range_check(pattern: str) -> None:
    """AclUtils.IPv6AddressCheck: "*" only last, "-" only in the last group (before a trailing "*")."""
    star, minus = pattern.find("*"), pattern.find("-")
    if star > -1 and star != len(pattern) - 1:
        raise AclError(f"Netaddress examine scope Exception netaddress is {pattern}")
    if minus > -1:
        last = pattern.rfind(":")
        limit = last if star == -1 else pattern.rfind(":", 0, last)
        if minus <= limit:
            raise AclError(f"Netaddress examine scope Exception netaddress is {pattern}")


def _v6_head(pattern: str) -> str:
    """AclUtils.v6ipProcess: the fixed groups in front of the ranged one, expanded."""
    star, minus = "*" in pattern, "-" in pattern
    if star and minus:
        last = pattern.rfind(":")
        return expand_ip(pattern[:pattern[:last].rfind(":")], 6)
    if not star and not minus:
        return expand_ip(pattern, 8)
    return expand_ip(pattern[:pattern.rfind(":")], 7)


def _range(pattern: str) -> Matcher:
    """RangeRemoteAddressStrategy: the first group that is "*" or "a-b" (from the second) bounds the match; the
    groups in front of it must equal the client's."""
    head, index, span = None, 0, (0, 0)
    if ":" in pattern:
        _ipv6_range_check(pattern)
        groups = split_tokens(pattern, ":")
        for i in range(1, len(groups)):
            index = i
            span = _bounds(groups[i].strip(), 16, 0xFFFF) or span
            if span[1] > 0:
                _verify(pattern, index - 1)
                head = _v6_head(pattern)
                index = len(split_tokens(head, ":"))
                break
    else:
        groups = split_tokens(pattern, ".")
        for i in (1, 2, 3):
            if i >= len(groups):
                raise AclError(f"Index {i} out of bounds for length {len(groups)}")
            index = i
            span = _bounds(groups[i].strip(), 10, 255) or span
            if span[1] > 0:
                _verify(pattern, index - 1)
                head = "".join(g.strip() + "." for g in groups[:index])
                break
    start, end = span

    def match(ip: str) -> bool:
        if head is None:
            return False
        if is_ipv4(ip):
            if not ip.startswith(head):
                return False
            rest = ip[len(head):]
            if index == 3:
                value = rest
            elif index == 2:
                value = ip[len(head):ip.rfind(".")]
            else:
                value = ip[len(head):ip.rfind(".", 0, ip.rfind("."))]
            try:
                return start <= int(value) <= end
            except ValueError:
                return False
        if is_ipv6(ip):
            full = expand_ip(ip, 8).upper()
            if full.startswith(head):
                try:
                    return start <= int(full[5 * index:5 * index + 4], 16) <= end
                except ValueError:
                    return False
        return False
    return match


def matcher(pattern: object) -> Matcher:
    """RemoteAddressStrategyFactory.getRemoteAddressStrategy."""
    if pattern is None or not str(pattern).strip():
        return _nothing
    p = str(pattern)
    if p in ("*", "*.*.*.*", "*:*:*:*:*:*:*:*"):
        return _everything
    if p.endswith("}"):
        sep = ":" if ":" in p else "."
        groups = split_tokens(p, sep)
        if sep == "." and len(groups) < 4:
            raise AclError("MultipleRemoteAddressStrategy has got a/some wrong format IP(s) ")
        last = groups[-1] if groups else ""
        if not last.startswith("{"):
            raise AclError("MultipleRemoteAddressStrategy netaddress examine scope Exception netaddress")
        prefix = p[:p.index("{")]
        return _multiple([prefix + x for x in split_tokens(last[1:-1], ",")])
    if "," in p:
        return _multiple(split_tokens(p, ","))
    if "*" in p or "-" in p:
        return _range(p)
    return _one(p)
