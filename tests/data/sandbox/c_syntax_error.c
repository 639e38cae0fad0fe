// expect: CE
// control: a compile error
int main(void) { return }
