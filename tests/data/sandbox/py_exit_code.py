# expect: RE
# control: exits 42 (RE, code kept)
import sys
sys.exit(42)
