"""RocketMQ remoting protocol: frames, header serializations, codes, headers, server and client."""
from . import hotpath as _hotpath

_hotpath.install()   # before any compiled module is imported: honours ROCKETMQ_PY_PURE, ignores stale builds
