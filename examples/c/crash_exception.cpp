// build: -O0
/* An uncaught C++ exception: std::terminate, then abort(). */
#include <cstdio>
#include <stdexcept>

namespace parser {
__attribute__((noinline)) int parse_config(int version) {
    if (version < 2) {
        throw std::runtime_error("unsupported config version");
    }
    return version;
}
}  // namespace parser

int main(int argc, char **) {
    std::printf("%d\n", parser::parse_config(argc));
    return 0;
}
