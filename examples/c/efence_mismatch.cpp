// build: -O0
/* Mismatched C++ pairs for the fence allocator: `new[]` released by `delete`, and `malloc`
 * released by `delete`. Markers as in efence_bugs.c. */
#include <cstdlib>
#include <cstring>

struct Point {
    int x, y;
};

__attribute__((noinline)) static void array_delete() {
    Point *ps = new Point[10]; /* A:array_delete */
    ps[0].x = 1;
    delete ps; /* X:array_delete */
}

__attribute__((noinline)) static void malloc_delete() {
    Point *p = static_cast<Point *>(std::malloc(sizeof(Point))); /* A:malloc_delete */
    delete p; /* X:malloc_delete */
}

int main(int argc, char **argv) {
    if (argc == 2 && std::strcmp(argv[1], "array_delete") == 0) {
        array_delete();
    } else if (argc == 2 && std::strcmp(argv[1], "malloc_delete") == 0) {
        malloc_delete();
    } else {
        return 2;
    }
    return 0;
}
