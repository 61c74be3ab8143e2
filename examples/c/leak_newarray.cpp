// build: -O0
/* Leak-check victim: new[] of a class with a destructor keeps the element count before the
 * elements (the array cookie), so the program's pointer points 8 bytes into the block:
 * memcheck's `newarray` heuristic counts it as still reachable, without the heuristic it is
 * possibly lost. A second array is lost outright. Compared with valgrind by
 * tests/tests/leak.rs (--leak-check-heuristics=all and none).
 */
#include <cstring>

struct Item {
    long v[3];
    ~Item() { v[0] = 0; }
};

Item *kept;

__attribute__((noinline)) static void make() {
    kept = new Item[5];    /* 8 + 5 * 24 = 128 bytes, pointer at +8 */
    Item *lost = new Item[2];  /* 8 + 2 * 24 = 56 bytes */
    lost[0].v[0] = 1;
}

__attribute__((noinline)) static void scrub() {
    volatile char buf[16384];
    memset((char *)buf, 0, sizeof buf);
}

int main() {
    make();
    scrub();
    return 0;
}
