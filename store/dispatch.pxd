# C types for store/dispatch.py when Cython compiles it (the .py stays the one source; see remoting/hotpath.py)
import cython

cdef long long _TX_NOT, _TX_COMMIT, _TX_ROLLBACK

# a C type: the put path fills it with struct stores and the dispatch reads its fields as C values
cdef class DispatchRequest:
    cdef public object topic, keys, uniq_key
    cdef public long long queue_id, commit_log_offset, msg_size, tags_code, store_timestamp, consume_queue_offset
    cdef public long long sys_flag, prepared_transaction_offset
    cdef public dict properties

# the property map is a dict (the parsed string, or the map the send path hands over): its gets are C calls
@cython.locals(props=dict, req=DispatchRequest)
cpdef DispatchRequest dispatch_request(msg, offset, delay_levels)

@cython.locals(tx="long long", table=dict)
cpdef dispatch(store, DispatchRequest req)

cpdef dispatch_message(store, msg, offset, delay_levels)
