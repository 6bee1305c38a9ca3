"""MessageStoreConfig: Java property names and defaults (store/.../config/MessageStoreConfig.java, 4.9.7)."""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import ClassVar

# the fields the put path's derived flags below come from
_DERIVED_FROM = frozenset(("brokerRole", "flushDiskType", "messageDelayLevel"))


def _default_root() -> str:
    return os.path.join(os.path.expanduser("~"), "store")


@dataclass
class MessageStoreConfig:
    storePathRootDir: str = field(default_factory=_default_root)
    storePathCommitLog: str = ""           # empty = <root>/commitlog
    mappedFileSizeCommitLog: int = 1073741824
    mappedFileSizeConsumeQueue: int = 300000 * 20
    flushIntervalCommitLog: int = 500
    flushCommitLogTimed: bool = True
    flushIntervalConsumeQueue: int = 1000
    cleanResourceInterval: int = 10000
    deleteCommitLogFilesInterval: int = 100
    deleteConsumeQueueFilesInterval: int = 100
    destroyMapedFileIntervalForcibly: int = 120000
    redeleteHangedFileInterval: int = 120000
    deleteWhen: str = "04"
    diskMaxUsedSpaceRatio: int = 75
    fileReservedTime: int = 72
    maxMessageSize: int = 4194304
    checkCRCOnRecover: bool = True
    flushCommitLogLeastPages: int = 4
    flushConsumeQueueLeastPages: int = 2
    flushCommitLogThoroughInterval: int = 10000
    flushDelayOffsetInterval: int = 10000
    offsetCheckInSlave: bool = False
    flushConsumeQueueThoroughInterval: int = 60000
    maxTransferBytesOnMessageInMemory: int = 262144
    maxTransferCountOnMessageInMemory: int = 32
    maxTransferBytesOnMessageInDisk: int = 65536
    maxTransferCountOnMessageInDisk: int = 8
    accessMessageInMemoryMaxRatio: int = 40
    messageIndexEnable: bool = True
    maxHashSlotNum: int = 5000000
    maxIndexNum: int = 5000000 * 4
    maxMsgsNumBatch: int = 64
    messageIndexSafe: bool = False
    brokerRole: str = "ASYNC_MASTER"
    flushDiskType: str = "ASYNC_FLUSH"
    syncFlushTimeout: int = 5000
    osPageCacheBusyTimeOutMills: int = 1000   # broker/fast_failure: a loop stall this long = page cache busy
    # HA (master/slave replication); 4.9.7's BrokerStartup forces haListenPort to listenPort + 1
    haListenPort: int = 10912
    haSendHeartbeatInterval: int = 5000
    haHousekeepingInterval: int = 20000
    haTransferBatchSize: int = 32768
    haMasterAddress: str = ""
    haSlaveFallbehindMax: int = 268435456
    slaveTimeout: int = 3000
    messageDelayLevel: str = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"
    cleanFileForciblyEnable: bool = True
    warmMapedFileEnable: bool = False
    defaultQueryMaxNum: int = 32
    # system properties in Java (rocketmq.broker.diskSpaceWarningLevelRatio / CleanForciblyRatio)
    diskSpaceWarningLevelRatio: float = 0.90
    diskSpaceCleanForciblyRatio: float = 0.85
    # the 5.x timer (store/timer): names and defaults of 5.x's MessageStoreConfig
    timerWheelEnable: bool = True
    timerMaxDelaySec: int = 3600 * 24 * 3
    timerPrecisionMs: int = 1000
    timerRollWindowSlot: int = 3600 * 24 * 2
    timerFlushIntervalMs: int = 1000
    timerCongestNumEachSlot: int = 2**31 - 1
    mappedFileSizeTimerLog: int = 100 * 1024 * 1024

    # Derived flags the put path reads on every send, kept as plain attributes (an interpreted property costs
    # ~1k instructions per read): __setattr__ recomputes them whenever a field they come from is set, by the
    # constructor, the properties loader or UPDATE_BROKER_CONFIG. ClassVar: not dataclass fields (not printed,
    # not compared, not config keys).
    is_slave: ClassVar[bool] = False
    sync_master: ClassVar[bool] = False
    sync_flush: ClassVar[bool] = False
    max_delay_level: ClassVar[int] = 18

    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)
        if name in _DERIVED_FROM:
            d = self.__dict__
            role = d.get("brokerRole")
            object.__setattr__(self, "is_slave", role == "SLAVE")
            object.__setattr__(self, "sync_master", role == "SYNC_MASTER")
            object.__setattr__(self, "sync_flush", d.get("flushDiskType") == "SYNC_FLUSH")
            levels = d.get("messageDelayLevel")
            if levels is not None:
                object.__setattr__(self, "max_delay_level", _level_count(levels))

    @property
    def commitlog_dir(self) -> str:
        return self.storePathCommitLog or os.path.join(self.storePathRootDir, "commitlog")

    @property
    def consume_queue_dir(self) -> str:
        return os.path.join(self.storePathRootDir, "consumequeue")

    @property
    def index_dir(self) -> str:
        return os.path.join(self.storePathRootDir, "index")

    @property
    def cq_file_size(self) -> int:
        return -(-self.mappedFileSizeConsumeQueue // 20) * 20  # rounded up to whole entries

    def delay_levels_ms(self) -> dict[int, int]:
        units = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
        out = {}
        for i, item in enumerate(self.messageDelayLevel.split(), start=1):
            out[i] = int(item[:-1]) * units[item[-1]]
        return out


@functools.lru_cache(maxsize=8)
def _level_count(levels: str) -> int:
    return len(levels.split())
