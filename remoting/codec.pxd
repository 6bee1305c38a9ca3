# C types for remoting/codec.py when Cython compiles it (the .py stays the one source; see remoting/hotpath.py)
import cython

cdef long long _SIGN32, _WRAP32
cdef object _LANG_OTHER, _JSON, _ROCKETMQ
cdef dict _KEY_PIECES
cdef tuple _LEN32
cdef Py_ssize_t _KEY_PIECES_MAX

@cython.locals(length="long long")
cpdef frame_length(buf, max_frame_length=*, Py_ssize_t offset=*)

@cython.locals(data=bytes, length="long long", ori="long long", header_len="long long", stype="long long",
               hs=Py_ssize_t, he=Py_ssize_t)
cpdef decode_frame_at(bytes data, Py_ssize_t start, Py_ssize_t end)

@cython.locals(code="long long", lang="long long", version="long long", opaque="long long", flag="long long",
               remark_len="long long", pos=Py_ssize_t, ext_len="long long", end=Py_ssize_t, klen="long long",
               vlen="long long")
cdef _decode_rocketmq(bytes data, Py_ssize_t start, Py_ssize_t n, body)

cdef _int_field(obj, str key, default)

@cython.locals(body_len=Py_ssize_t)
cpdef list encode_frame_parts(cmd)

cpdef bytes encode_rocketmq_header(cmd)
cpdef encode_json_header(cmd)

@cython.locals(head=bytearray, p="unsigned char*", rb=bytes, kb=bytes, vb=bytes, kp=bytes, k=str, v=str,
               pieces=list, ext_at=Py_ssize_t, ext_len=Py_ssize_t, header_len=Py_ssize_t, total="long long",
               n=Py_ssize_t)
cdef list _rocketmq_pieces(cmd, Py_ssize_t at, Py_ssize_t body_len)

cdef void _put16(unsigned char* p, Py_ssize_t pos, long long v) noexcept
cdef void _put32(unsigned char* p, Py_ssize_t pos, long long v) noexcept
cdef long long _u16(bytes data, Py_ssize_t pos) except -1
@cython.locals(v="long long")
cdef long long _u32(bytes data, Py_ssize_t pos) except -1
@cython.locals(v="long long")
cdef long long _i32(bytes data, Py_ssize_t pos) except? -1
cdef _utf8(bytes data, Py_ssize_t start, Py_ssize_t end)
