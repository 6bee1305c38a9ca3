# C types for store/message.py when Cython compiles it (the .py stays the one source; see remoting/hotpath.py)
import cython

# the polynomial in unsigned 32-bit C arithmetic: the same low 32 bits the Python version masks out
@cython.locals(h="unsigned int", data=bytes, i=Py_ssize_t, c="unsigned char", n=Py_ssize_t)
cpdef long long java_string_hash(s) except? -1
