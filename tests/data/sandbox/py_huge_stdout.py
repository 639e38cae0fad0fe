# expect: OLE
# floods stdout: the supervisor's cap kills it
import sys
while True:
    sys.stdout.write('x' * 65536)
