"""The message store: CommitLog, ConsumeQueue, Index, flush, recovery, HA, timer."""
import remoting.hotpath as _hotpath

_hotpath.install()   # store.message may run compiled: see remoting.hotpath
