# C types for remoting/codec.py when Cython compiles it (the .py stays the one source; see remoting/hotpath.py)
import cython

cdef long long _SIGN32, _WRAP32
cdef object _LANG_OTHER

@cython.locals(data=bytes, n=Py_ssize_t, code="long long", lang="long long", version="long long",
               opaque="long long", flag="long long", remark_len="long long", pos=Py_ssize_t, ext_len="long long",
               end=Py_ssize_t, klen="long long", vlen="long long")
cpdef decode_rocketmq_header(header)

@cython.locals(out=bytearray, rb=bytes, kb=bytes, vb=bytes, ext_at=Py_ssize_t, k=str, v=str)
cpdef bytes encode_rocketmq_header(cmd)

cdef long long _u16(bytes data, Py_ssize_t pos) except -1
@cython.locals(v="long long")
cdef long long _i32(bytes data, Py_ssize_t pos) except? -1
cdef int _add16(bytearray out, long long v) except -1
cdef int _add32(bytearray out, long long v) except -1
cdef int _set32(bytearray out, Py_ssize_t pos, long long v) except -1
cdef _utf8(bytes data, Py_ssize_t start, Py_ssize_t end)
