# C types for store/message.py when Cython compiles it (the .py stays the one source; see remoting/hotpath.py)
import cython

cdef Py_ssize_t _HASH_TAIL
cdef unsigned int _MASK32, _SIGN32
cdef long long _WRAP32

# the polynomial in unsigned 32-bit C arithmetic: the same low 32 bits the Python version masks out
@cython.locals(h="unsigned int", data=bytes, i=Py_ssize_t, c="unsigned char", n=Py_ssize_t)
cpdef long long java_string_hash(str s) except? -1

# typed locals: the split items are str, so find and slicing run as C calls instead of method lookups
@cython.locals(out=dict, item=str, i=Py_ssize_t)
cpdef dict string_to_properties(str s)

@cython.locals(parts=list)
cpdef str properties_to_string(props)

@cython.locals(parts=list, order=tuple)
cpdef str properties_to_string_like_java(props, max_size=*)

@cython.locals(keys=tuple, n=Py_ssize_t, cap=Py_ssize_t)
cdef tuple _java_order(props, max_size)

cdef dict _PACKED_HOSTS, _RECORD_STRUCTS
cdef Py_ssize_t _LAYOUT_CACHE_MAX

cdef bytes _packed_host(object host)

@cython.locals(born=bytes, store=bytes, shape=tuple)
cpdef tuple record_layout(msg, bytes topic, bytes props)

cdef dict _TAGS_CODES
cdef Py_ssize_t _TAGS_CODES_MAX

cdef long long _MAX_I64

cdef str _hex64(unsigned long long v)

@cython.locals(prefix=str)
cpdef str offset_msg_id(store_host, physical_offset)

cdef dict _PREFIX_HASHES
cdef Py_ssize_t _PREFIX_HASHES_MAX
