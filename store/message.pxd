# C types for store/message.py when Cython compiles it (the .py stays the one source; see remoting/hotpath.py)
import cython

cdef Py_ssize_t _HASH_TAIL
cdef unsigned int _MASK32, _SIGN32
cdef long long _WRAP32

# the polynomial in unsigned 32-bit C arithmetic: the same low 32 bits the Python version masks out
@cython.locals(h="unsigned int", data=bytes, i=Py_ssize_t, c="unsigned char", n=Py_ssize_t)
cpdef long long java_string_hash(str s) except? -1
