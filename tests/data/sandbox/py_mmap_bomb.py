# expect: OK
# maps 1 TiB: refused by RLIMIT_AS
import mmap
try:
    m = mmap.mmap(-1, 1 << 40)
    print("ESCAPE: mapped 1 TiB")
except (OSError, ValueError, OverflowError) as e:
    print("refused", type(e).__name__)
