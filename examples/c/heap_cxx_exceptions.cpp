// build: -O0 -std=c++17
/* A C++ program that frees everything it allocates and throws and catches exceptions,
 * in main and in a static object's destructor (which runs at exit, before the heap
 * tracker frees libstdc++'s exception pool): no leak, and every exception works. */
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

static int caught;

struct AtExit {
    ~AtExit() {
        try {
            throw std::runtime_error(std::string(100, 'x'));
        } catch (const std::exception &) {
            caught++;
        }
        std::printf("caught %d by exit\n", caught);
    }
};
static AtExit at_exit;

int main() {
    std::vector<std::string> kept;
    for (int i = 0; i < 10; i++) {
        try {
            if (i % 2)
                throw std::runtime_error("odd " + std::to_string(i));
            kept.push_back(std::string(64, char('a' + i)));
        } catch (const std::runtime_error &) {
            caught++;
        }
    }
    std::printf("kept %zu, caught %d\n", kept.size(), caught);
    return 0;
}
