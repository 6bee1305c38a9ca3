# C types for remoting/headers.py when Cython compiles it (the .py stays the one source; see remoting/hotpath.py)
import cython

cdef str _V2

cdef object _v2_str(dict ext, str key)
cdef object _v2_int(dict ext, str key, bint required=*)
cdef object _v2_opt_bool(dict ext, str key)

@cython.locals(kind=int, req=bint)
cdef list _decode_values(str cname, tuple plan, dict ext)
