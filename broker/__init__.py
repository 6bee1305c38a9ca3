"""The Broker: processors, topic/group/offset managers, HA roles, transactions, timer hook."""
import remoting.hotpath as _hotpath

_hotpath.install()   # broker.processors.* may run compiled: see remoting.hotpath
