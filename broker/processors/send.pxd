# C types for broker/processors/send.py when Cython compiles it (the .py stays the one source; see
# remoting/hotpath.py): the processor's fields are read several times per send, as struct slots not dict lookups
cdef class SendProcessor:
    cdef public object config, transactions, store, topics, groups, store_host, rng, on_stored, fast_failure
