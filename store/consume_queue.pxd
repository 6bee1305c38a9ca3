# C types for store/consume_queue.py when Cython compiles it (the .py stays the one source; see remoting/hotpath.py)
import cython

cdef long long _SIGN32, _WRAP32, _BLANK_SIZE

@cython.locals(v="long long")
cdef long long _u32(bytes data, Py_ssize_t pos) except? -1
@cython.locals(v="long long")
cdef long long _i32(bytes data, Py_ssize_t pos) except? -1
cdef long long _i64(bytes data, Py_ssize_t pos) except? -1

# the read loop of a pull: entries and limits as C integers, no tuple or Python arithmetic per entry
@cython.locals(count=Py_ssize_t, total="long long", state=int, nxt="long long", max_pulling="long long",
               file_size="long long", start="long long", end="long long", wrote="long long", i=Py_ssize_t,
               p=Py_ssize_t, size="long long", phys="long long", pos="long long")
cpdef tuple select(bytes buf, Py_ssize_t n, long long offset, commitlog_queue, long long cl_min,
                   long long max_phy, long long memory_limit, long long max_msgs, long long bytes_in_memory,
                   long long count_in_memory, long long bytes_in_disk, long long count_in_disk, msg_filter,
                   list buffers, list offsets, list body=*)
