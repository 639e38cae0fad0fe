# expect: OK
# control: a normal program
print(sum(range(10)))
