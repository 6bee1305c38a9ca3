"""JSON bodies shared by the NameServer, the Broker and clients, with the Java field names.

`to_json()` returns plain data for `fastjson.dumps`; `from_json()` accepts what `fastjson.loads` returns
(so integer map keys may arrive as ints or strings). Sources: common/.../DataVersion.java, TopicConfig.java,
protocol/body/{RegisterBrokerBody,TopicConfigSerializeWrapper,ClusterInfo,TopicList,KVTable}.java,
protocol/route/{TopicRouteData,QueueData,BrokerData}.java.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

from . import fastjson

PERM_PRIORITY = 0x8
PERM_READ = 0x4
PERM_WRITE = 0x2
PERM_INHERIT = 0x1

MASTER_ID = 0


@dataclass(slots=True)
class DataVersion:
    timestamp: int = 0
    counter: int = 0

    def to_json(self) -> dict:
        return {"counter": self.counter, "timestamp": self.timestamp}

    @classmethod
    def from_json(cls, d: dict | None) -> "DataVersion":
        d = d or {}
        return cls(timestamp=int(d.get("timestamp") or 0), counter=int(d.get("counter") or 0))


@dataclass(slots=True)
class TopicConfig:
    topicName: str
    readQueueNums: int = 16
    writeQueueNums: int = 16
    perm: int = PERM_READ | PERM_WRITE
    topicFilterType: str = "SINGLE_TAG"
    topicSysFlag: int = 0
    order: bool = False

    def to_json(self) -> dict:
        return {"order": self.order, "perm": self.perm, "readQueueNums": self.readQueueNums,
                "topicFilterType": self.topicFilterType, "topicName": self.topicName,
                "topicSysFlag": self.topicSysFlag, "writeQueueNums": self.writeQueueNums}

    @classmethod
    def from_json(cls, d: dict) -> "TopicConfig":
        return cls(topicName=d.get("topicName"), readQueueNums=int(d.get("readQueueNums", 16)),
                   writeQueueNums=int(d.get("writeQueueNums", 16)), perm=int(d.get("perm", 6)),
                   topicFilterType=d.get("topicFilterType") or "SINGLE_TAG",
                   topicSysFlag=int(d.get("topicSysFlag", 0)), order=bool(d.get("order", False)))

    def encode_text(self) -> str:
        """The space-separated form used inside compressed RegisterBrokerBody (TopicConfig.encode)."""
        return f"{self.topicName} {self.readQueueNums} {self.writeQueueNums} {self.perm} {self.topicFilterType}"

    @classmethod
    def decode_text(cls, s: str) -> "TopicConfig":
        parts = s.split(" ")
        if len(parts) != 5:
            raise ValueError(f"bad topic config text {s!r}")
        return cls(topicName=parts[0], readQueueNums=int(parts[1]), writeQueueNums=int(parts[2]),
                   perm=int(parts[3]), topicFilterType=parts[4])


@dataclass(slots=True)
class TopicConfigSerializeWrapper:
    topicConfigTable: dict[str, TopicConfig] = field(default_factory=dict)
    dataVersion: DataVersion = field(default_factory=DataVersion)

    def to_json(self) -> dict:
        return {"dataVersion": self.dataVersion.to_json(),
                "topicConfigTable": {k: v.to_json() for k, v in self.topicConfigTable.items()}}

    @classmethod
    def from_json(cls, d: dict | None) -> "TopicConfigSerializeWrapper":
        d = d or {}
        table = {str(k): TopicConfig.from_json(v) for k, v in (d.get("topicConfigTable") or {}).items()}
        return cls(topicConfigTable=table, dataVersion=DataVersion.from_json(d.get("dataVersion")))


_I32 = struct.Struct(">i")


@dataclass(slots=True)
class RegisterBrokerBody:
    topicConfigSerializeWrapper: TopicConfigSerializeWrapper = field(default_factory=TopicConfigSerializeWrapper)
    filterServerList: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"filterServerList": list(self.filterServerList),
                "topicConfigSerializeWrapper": self.topicConfigSerializeWrapper.to_json()}

    @classmethod
    def from_json(cls, d: dict) -> "RegisterBrokerBody":
        return cls(topicConfigSerializeWrapper=TopicConfigSerializeWrapper.from_json(d.get("topicConfigSerializeWrapper")),
                   filterServerList=[str(x) for x in (d.get("filterServerList") or [])])

    def encode(self, compressed: bool = False) -> bytes:
        if not compressed:
            return fastjson.dumpb(self)
        w = self.topicConfigSerializeWrapper
        out = bytearray()
        dv = fastjson.dumpb(w.dataVersion)
        out += _I32.pack(len(dv)) + dv
        out += _I32.pack(len(w.topicConfigTable))
        for tc in w.topicConfigTable.values():
            b = tc.encode_text().encode("utf-8")
            out += _I32.pack(len(b)) + b
        fs = fastjson.dumpb(self.filterServerList)
        out += _I32.pack(len(fs)) + fs
        return zlib.compress(bytes(out), 9)

    @classmethod
    def decode(cls, data: bytes, compressed: bool) -> "RegisterBrokerBody":
        if not compressed:
            obj = fastjson.loads(data)
            if not isinstance(obj, dict):
                raise ValueError("RegisterBrokerBody is not a JSON object")
            if "topicConfigSerializeWrapper" not in obj and "topicConfigTable" in obj:
                # pre-V3_0_11 brokers send a bare TopicConfigSerializeWrapper
                return cls(topicConfigSerializeWrapper=TopicConfigSerializeWrapper.from_json(obj))
            return cls.from_json(obj)
        raw = zlib.decompress(data)
        pos = 0

        def take(n: int) -> bytes:
            nonlocal pos
            if n < 0 or pos + n > len(raw):
                raise ValueError("End of compressed data has reached")
            chunk = raw[pos:pos + n]
            pos += n
            return chunk

        def take_int() -> int:
            return _I32.unpack(take(4))[0]

        dv = DataVersion.from_json(fastjson.loads(take(take_int())))
        table: dict[str, TopicConfig] = {}
        for _ in range(take_int()):
            tc = TopicConfig.decode_text(take(take_int()).decode("utf-8"))
            table[tc.topicName] = tc
        fsl = fastjson.loads(take(take_int()))
        return cls(TopicConfigSerializeWrapper(table, dv), [str(x) for x in (fsl or [])])


@dataclass(slots=True)
class QueueData:
    brokerName: str
    readQueueNums: int
    writeQueueNums: int
    perm: int
    topicSysFlag: int = 0

    def to_json(self) -> dict:
        return {"brokerName": self.brokerName, "perm": self.perm, "readQueueNums": self.readQueueNums,
                "topicSysFlag": self.topicSysFlag, "writeQueueNums": self.writeQueueNums}

    @classmethod
    def from_json(cls, d: dict) -> "QueueData":
        return cls(d["brokerName"], int(d["readQueueNums"]), int(d["writeQueueNums"]), int(d["perm"]),
                   int(d.get("topicSysFlag", 0)))


@dataclass(slots=True)
class BrokerData:
    cluster: str
    brokerName: str
    brokerAddrs: dict[int, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"brokerAddrs": dict(self.brokerAddrs), "brokerName": self.brokerName, "cluster": self.cluster}

    @classmethod
    def from_json(cls, d: dict) -> "BrokerData":
        return cls(d.get("cluster"), d["brokerName"], {int(k): v for k, v in (d.get("brokerAddrs") or {}).items()})


@dataclass(slots=True)
class TopicRouteData:
    queueDatas: list[QueueData] = field(default_factory=list)
    brokerDatas: list[BrokerData] = field(default_factory=list)
    filterServerTable: dict[str, list[str]] = field(default_factory=dict)
    orderTopicConf: str | None = None

    def to_json(self) -> dict:
        d: dict[str, Any] = {"brokerDatas": [b.to_json() for b in self.brokerDatas],
                             "filterServerTable": dict(self.filterServerTable),
                             "queueDatas": [q.to_json() for q in self.queueDatas]}
        if self.orderTopicConf is not None:
            d["orderTopicConf"] = self.orderTopicConf
        return d

    @classmethod
    def from_json(cls, d: dict) -> "TopicRouteData":
        return cls(queueDatas=[QueueData.from_json(q) for q in d.get("queueDatas") or []],
                   brokerDatas=[BrokerData.from_json(b) for b in d.get("brokerDatas") or []],
                   filterServerTable=dict(d.get("filterServerTable") or {}),
                   orderTopicConf=d.get("orderTopicConf"))


@dataclass(slots=True)
class ClusterInfo:
    brokerAddrTable: dict[str, BrokerData] = field(default_factory=dict)
    clusterAddrTable: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"brokerAddrTable": {k: v.to_json() for k, v in self.brokerAddrTable.items()},
                "clusterAddrTable": {k: sorted(v) for k, v in self.clusterAddrTable.items()}}

    @classmethod
    def from_json(cls, d: dict) -> "ClusterInfo":
        return cls({k: BrokerData.from_json(v) for k, v in (d.get("brokerAddrTable") or {}).items()},
                   {k: list(v) for k, v in (d.get("clusterAddrTable") or {}).items()})


@dataclass(slots=True)
class TopicList:
    topicList: list[str] = field(default_factory=list)
    brokerAddr: str | None = None

    def to_json(self) -> dict:
        d: dict[str, Any] = {"topicList": list(self.topicList)}
        if self.brokerAddr is not None:
            d["brokerAddr"] = self.brokerAddr
        return d

    @classmethod
    def from_json(cls, d: dict) -> "TopicList":
        return cls(list(d.get("topicList") or []), d.get("brokerAddr"))


@dataclass(slots=True)
class KVTable:
    table: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"table": dict(self.table)}

    @classmethod
    def from_json(cls, d: dict) -> "KVTable":
        return cls({str(k): str(v) for k, v in (d.get("table") or {}).items()})
