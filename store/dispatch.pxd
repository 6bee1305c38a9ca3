# C types for store/dispatch.py when Cython compiles it (the .py stays the one source; see remoting/hotpath.py)
import cython

# the property map is a dict (the parsed string, or the map the send path hands over): its gets are C calls
@cython.locals(props=dict)
cpdef dispatch_request(msg, offset, delay_levels)
