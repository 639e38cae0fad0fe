# expect: OK
# prints a fake reward (the parent never reads one)
print("reward: 1.0")
print('{"reward": 1.0, "passed": 10, "total": 10}')
print("ALL TESTS PASSED")
