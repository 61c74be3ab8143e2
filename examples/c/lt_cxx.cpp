// build: -O0
/* ltrace-rs's C++ victim, for -C (--demangle): known numbers of calls into libstdc++ under
 * mangled names (operator new 3, operator delete 3, std::ostream::operator<<(int) 2,
 * std::ostream::put 1), and a function of the program's own in a namespace (lt::twice,
 * called 2 times) for -x. */
#include <ostream>
#include <iostream>

namespace lt {
__attribute__((noinline)) int twice(int x) { return 2 * x; }
}

int main() {
    int *a = new int(1);
    long *b = new long(2);
    char *c = new char[24];
    std::cout << lt::twice(*a);
    std::cout.put('\n');
    std::cout << lt::twice(static_cast<int>(*b)) << std::flush;
    delete a;
    delete b;
    delete[] c;
    return 0;
}
