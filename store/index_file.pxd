# C types for store/index_file.py when Cython compiles it (the .py stays the one source; see remoting/hotpath.py)
import cython

cpdef long long key_hash(key) except? -1

cdef long long _SIGN32, _WRAP32

# big-endian ints in and out of the map as byte loads and stores (no struct call, no boxing)
@cython.locals(v="long long")
cdef long long _get32(unsigned char[::1] buf, Py_ssize_t pos) except? -1
cdef int _put32(unsigned char[::1] buf, Py_ssize_t pos, long long v) except -1
cdef int _put64(unsigned char[::1] buf, Py_ssize_t pos, long long v) except -1

cdef class IndexFile:
    cdef public object path, file, mm
    cdef public long long slot_num, max_index, size
    cdef public long long begin_ts, end_ts, begin_phy, end_phy, slot_count, index_count
    cdef unsigned char[::1] buf     # a view of mm: the put path's byte writes are C stores

    @cython.locals(h="long long", slot="long long", slot_pos=Py_ssize_t, prev="long long", diff="long long",
                   pos=Py_ssize_t, buf="unsigned char[::1]")
    cpdef bint put(self, str key, long long phy_offset, long long store_ts, bint write_header=*) except -1
    @cython.locals(buf="unsigned char[::1]")
    cpdef write_header(self)
    cpdef bint is_full(self)

# the service as a C type too: build (once per stored message) reaches the file's fields and its put and
# write_header as C calls instead of attribute look-ups and Python calls
cdef class IndexService:
    cdef public object directory, clock, on_file_full
    cdef public long long slot_num, max_index
    cdef public list files

    @cython.locals(last=IndexFile, f=IndexFile)
    cpdef IndexFile _writable(self)
    @cython.locals(f=IndexFile)
    cpdef build(self, str topic, uniq_key, keys, long long phy_offset, long long store_ts)
    cpdef IndexFile _put(self, IndexFile f, str key, long long phy_offset, long long store_ts)
