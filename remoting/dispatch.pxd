# C types for remoting/dispatch.py when Cython compiles it (the .py stays the one source; see remoting/hotpath.py)
import cython

cdef tuple _BOUNDS
cdef Py_ssize_t _NB

@cython.locals(ms=double, s=list, i=Py_ssize_t)
cpdef observe(dict series, long long key, double began)
