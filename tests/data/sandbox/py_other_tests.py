# expect: OK
# looks for other tests next to the program
import os, gc
print(os.listdir("/src"), os.listdir("/box"))
for p in os.listdir("/src"):
    print(p, open("/src/" + p).read()[:100])
