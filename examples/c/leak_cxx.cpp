// build: -O0
/* Leak-check victim: C++ shapes for memcheck's heuristics, one per mode (argv[1]), compared
 * with valgrind --leak-check=full by tests/tests/leak.rs.
 *
 *   empty     new T[0]: `new int[0]` (a 0-byte block) and `new Item[0]` of a class with a
 *             destructor (an 8-byte block holding the count 0, the program's pointer one past
 *             its end), both kept by globals; and one `new Item[0]` lost
 *   multiple  an object of a class with two polymorphic bases, kept only through a pointer to
 *             its second base (8 + 8 bytes into the block): memcheck's
 *             `multipleinheritance` heuristic makes it still reachable; one more lost
 */
#include <cstring>

struct Item {
    long v;
    ~Item() { v = 0; }
};

struct A {
    virtual ~A() {}
    long a = 1;
};
struct B {
    virtual ~B() {}
    long b = 2;
};
struct C : A, B {
    long c = 3;
};

int *empty_ints;
Item *empty_items;
B *second_base;

__attribute__((noinline)) static void make_empty() {
    empty_ints = new int[0];
    empty_items = new Item[0];
    Item *lost = new Item[0];
    (void)lost;
}

__attribute__((noinline)) static void make_multiple() {
    second_base = new C;
    A *lost = new C;
    lost->a = 4;
}

__attribute__((noinline)) static void scrub() {
    volatile char buf[16384];
    memset((char *)buf, 0, sizeof buf);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "empty";
    if (!std::strcmp(mode, "empty"))
        make_empty();
    else
        make_multiple();
    scrub();
    return 0;
}
