# expect: SIG
# control: SIGSEGV
import ctypes
ctypes.string_at(0)
