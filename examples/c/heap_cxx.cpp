// build: -O0 -std=c++17
/* Every C++ operator new/delete variant once, with distinct sizes, and a failing throwing
 * new (std::bad_alloc caught) and a failing nothrow new. */
#include <cstdio>
#include <cstdint>
#include <new>
#include <string>
#include <vector>

int main() {
    void *a = operator new(24);
    operator delete(a);
    void *b = operator new[](40);
    operator delete[](b);
    void *c = operator new(56);
    operator delete(c, 56);
    void *d = operator new[](72);
    operator delete[](d, 72);
    void *e = operator new(88, std::align_val_t(64));
    operator delete(e, std::align_val_t(64));
    void *f = operator new[](104, std::align_val_t(128));
    operator delete[](f, std::align_val_t(128));
    void *g = operator new(120, std::align_val_t(64));
    operator delete(g, 120, std::align_val_t(64));
    void *h = operator new[](136, std::align_val_t(64));
    operator delete[](h, 136, std::align_val_t(64));
    void *i = operator new(152, std::nothrow);
    operator delete(i, std::nothrow);
    void *j = operator new[](168, std::nothrow);
    operator delete[](j, std::nothrow);
    void *k = operator new(184, std::align_val_t(64), std::nothrow);
    operator delete(k, std::align_val_t(64), std::nothrow);
    void *l = operator new[](200, std::align_val_t(64), std::nothrow);
    operator delete[](l, std::align_val_t(64), std::nothrow);
    bool caught = false;
    try {
        void *volatile big = operator new(SIZE_MAX / 2);
        (void)big;
    } catch (const std::bad_alloc &) {
        caught = true;
    }
    void *none = operator new(SIZE_MAX / 2, std::nothrow);
    std::vector<std::string> words = {"a string long enough to be on the heap, not in SSO"};
    std::printf("caught=%d none=%p words=%zu\n", caught, none, words.size());
    return 0;
}
