// expect: OK
// control: hello
#include <stdio.h>
int main(void) { puts("hello"); return 0; }
