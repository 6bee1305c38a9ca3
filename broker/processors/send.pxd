# C types for broker/processors/send.py when Cython compiles it (the .py stays the one source; see
# remoting/hotpath.py): the processor's fields are read several times per send, as struct slots not dict lookups
import cython

cdef class SendProcessor:
    cdef public object config, transactions, store, topics, groups, store_host, rng, on_stored, fast_failure, stats
    cdef public object metrics, size_series
    cdef public dict put_counts

    # once per send each: C calls from send instead of method look-ups and Python calls
    cpdef tuple _check(self, conn, req, h)
    cpdef tuple _retry_or_dlq(self, req, h, queue_id)
    cpdef _put_response(self, req, result, queue_id)
    @cython.locals(c=list)
    cpdef _count_put(self, dict counts, str topic, Py_ssize_t num, Py_ssize_t size)
    @cython.locals(s=list, v=Py_ssize_t, i=Py_ssize_t)
    cpdef _observe_size(self, dict series, str topic, Py_ssize_t num, Py_ssize_t size)

cdef Py_ssize_t _SIZE_BOUNDS, _SIZE_SLOTS
cdef set _VALID_TOPICS
cdef Py_ssize_t _VALID_TOPICS_MAX

cpdef str stored_properties(dict props, cluster)

cdef tuple _UNSET_HOST
cpdef _new_message(topic, body, queue_id, flag, sys_flag, born_timestamp, born_host, reconsume_times, properties)

cdef long long _be32(bytes data, Py_ssize_t pos) except? -1

@cython.locals(pos=Py_ssize_t, n=Py_ssize_t, total="long long", flag="long long", body_len="long long",
               at=Py_ssize_t, plen="long long")
cpdef list decode_batch_body(bytes body)
