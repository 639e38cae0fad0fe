# expect: TLE|WALL
# fork bomb: RLIMIT_NPROC of the slot uid caps it, the namespace dies with init
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
