# expect: RE|SIG|TLE
# allocates until RLIMIT_AS: MemoryError (or a limit kill)
a = []
while True:
    a.append(bytearray(10**7))
