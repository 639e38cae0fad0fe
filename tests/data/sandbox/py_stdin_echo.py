# expect: OK
# control: reads stdin
import sys
print(sys.stdin.read().strip())
