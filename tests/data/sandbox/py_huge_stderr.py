# expect: OLE
# floods stderr
import sys
while True:
    sys.stderr.write('y' * 65536)
