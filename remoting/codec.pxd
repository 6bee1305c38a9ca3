# C types for remoting/codec.py when Cython compiles it (the .py stays the one source; see remoting/hotpath.py)
import cython

@cython.locals(data=bytes, n=Py_ssize_t, code="long long", lang="long long", version="long long",
               opaque="long long", flag="long long", remark_len="long long", pos=Py_ssize_t, ext_len="long long",
               end=Py_ssize_t, klen="long long", vlen="long long")
cpdef decode_rocketmq_header(header)

@cython.locals(remark=bytes, kb=bytes, vb=bytes, ext_len=Py_ssize_t, remark_len=Py_ssize_t, out=bytearray,
               pos=Py_ssize_t, i=Py_ssize_t, fields=list)
cpdef bytes encode_rocketmq_header(cmd)

cdef long long _u16(bytes data, Py_ssize_t pos) except -1
cdef long long _i32(bytes data, Py_ssize_t pos) except? -1
cdef int _put16(bytearray out, Py_ssize_t pos, long long v) except -1
cdef int _put32(bytearray out, Py_ssize_t pos, long long v) except -1
cdef _utf8(bytes data, Py_ssize_t start, Py_ssize_t end)
