# expect: WALL
# sleeps forever: the wall deadline kills the namespace
import time
time.sleep(10**6)
