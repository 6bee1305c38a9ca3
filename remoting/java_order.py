"""The iteration order of Java's hash collections of String keys (java.util.HashMap / HashSet, and the
ConcurrentHashMap behind java.util.Properties), so lists built from them come out in the order Java's broker,
NameServer and tools write them. Off the hot path: store.message keeps its own cached String.hashCode for
per-message work."""
from __future__ import annotations

import functools


def string_hash(s: str) -> int:
    """java.lang.String.hashCode over UTF-16 code units, as an unsigned 32-bit value."""
    h = 0
    data = s.encode("utf-16-be", "surrogatepass")   # a lone surrogate is one code unit, as in Java
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h


@functools.lru_cache(maxsize=4096)
def spread(key: str) -> int:
    """HashMap.hash: the hash with its high half folded into the low half."""
    h = string_hash(key)
    return (h ^ (h >> 16)) & 0x7FFFFFFF


def hashmap_order(keys, max_size: int | None = None) -> list:
    """A HashMap / HashSet (capacity 16, doubled past a 0.75 load) into which `keys` were put in this order: by
    bucket of the final table, insertion order within a bucket. `max_size` is the most entries the map ever held
    (it sizes the table; removals do not shrink it). Repeated keys count once."""
    keys = list(dict.fromkeys(keys))
    return list(_hashmap_order(tuple(keys), _capacity(max(len(keys), max_size or 0))))


def _capacity(n: int) -> int:
    cap = 16
    while n > cap * 3 // 4:
        cap *= 2
    return cap


@functools.lru_cache(maxsize=4096)
def _hashmap_order(keys: tuple, cap: int) -> tuple:
    # sorted() is stable: insertion order within a bucket
    return tuple(sorted(keys, key=lambda k: spread(str(k)) & (cap - 1)))


def concurrent_hashmap_order(keys) -> list:
    """A ConcurrentHashMap (Java 9+) into which `keys` were put in this order: its resize moves a bucket's head
    nodes in reverse, ahead of the bucket's last run."""
    n = 16
    table: list[list] = [[] for _ in range(n)]
    for count, k in enumerate(dict.fromkeys(keys), 1):
        table[spread(str(k)) & (n - 1)].append(k)
        if count >= n - (n >> 2):          # sizeCtl reached: ConcurrentHashMap.transfer to 2n
            new: list[list] = [[] for _ in range(2 * n)]
            for i, bin_ in enumerate(table):
                if not bin_:
                    continue
                bits = [spread(str(x)) & n for x in bin_]
                last = len(bin_) - 1
                while last > 0 and bits[last - 1] == bits[last]:
                    last -= 1
                lo = [x for x, b in zip(bin_[last:], bits[last:]) if b == 0]
                hi = [x for x, b in zip(bin_[last:], bits[last:]) if b != 0]
                for x, b in zip(bin_[:last], bits[:last]):
                    if b == 0:
                        lo.insert(0, x)
                    else:
                        hi.insert(0, x)
                new[i], new[i + n] = lo, hi
            table, n = new, 2 * n
    return [k for bin_ in table for k in bin_]
