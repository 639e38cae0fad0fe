// expect: RE
// control: exit 42
int main(void) { return 42; }
