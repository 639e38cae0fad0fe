# expect: TLE
# CPU loop: RLIMIT_CPU sends SIGXCPU
while True:
    pass
