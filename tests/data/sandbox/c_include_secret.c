// expect: CE
// includes /etc/shadow: compiled inside the box, where it does not exist
#include "/etc/shadow"
int main(void) { return 0; }
