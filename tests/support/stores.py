"""Helpers for store tests: the Java fixture stores, their config, and small-file configs."""
from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

from store.config import MessageStoreConfig
from store.message_store import MessageStore

from .daemons import ROOT

FIXTURES = ROOT.parent / "shared" / "fixtures" / "java-4.9.7"
FIXTURE_DELAY_LEVELS = "1s 2s 3s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s"
STORE_HOST = ("127.0.0.1", 40911)


def fixture_config(root: Path) -> MessageStoreConfig:
    """The fixture brokers' conf (conf/store-broker.conf): 1 MiB commit log files, 30-entry queues, tiny index."""
    return MessageStoreConfig(storePathRootDir=str(root), mappedFileSizeCommitLog=1048576,
                              mappedFileSizeConsumeQueue=600, maxHashSlotNum=64, maxIndexNum=256,
                              messageDelayLevel=FIXTURE_DELAY_LEVELS, flushDiskType="SYNC_FLUSH")


def copy_fixture(name: str, dest: Path, parts: tuple[str, ...] | None = None) -> Path:
    src = FIXTURES / name
    dest.mkdir(parents=True, exist_ok=True)
    for item in src.iterdir():
        if item.name in ("MANIFEST.json", "VERIFY.txt") or item.name.startswith("READBACK"):
            continue
        if parts is not None and item.name not in parts:
            continue
        if item.is_dir():
            shutil.copytree(item, dest / item.name)
        else:
            shutil.copy2(item, dest / item.name)
    return dest


def readback(name: str) -> list[dict]:
    with gzip.open(FIXTURES / name / "READBACK.jsonl.gz", "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def manifest(name: str) -> dict:
    return json.loads((FIXTURES / name / "MANIFEST.json").read_text(encoding="utf-8"))


def open_store(cfg: MessageStoreConfig, host: tuple[str, int] = STORE_HOST) -> MessageStore:
    s = MessageStore(cfg, host)
    s.load()
    return s


def small_config(root: Path, **kw) -> MessageStoreConfig:
    base = dict(storePathRootDir=str(root), mappedFileSizeCommitLog=4096, mappedFileSizeConsumeQueue=20 * 10,
                maxHashSlotNum=16, maxIndexNum=64)
    base.update(kw)
    return MessageStoreConfig(**base)
