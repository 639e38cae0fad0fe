# expect: OK
# thread bomb: threads count against RLIMIT_NPROC
import threading, time
n = 0
try:
    while True:
        threading.Thread(target=time.sleep, args=(100,), daemon=True).start()
        n += 1
except (RuntimeError, MemoryError) as e:
    print("stopped after", n, "threads", flush=True)
import os
os._exit(0)
