// build: -O2 -g
/* A C++ workload for bench/heap-real.sh: a std::map<std::string, std::vector<std::string>>
 * churned by a deterministic generator: keys inserted, values appended (long strings, past
 * the small-string buffer), keys erased, whole entries rebuilt; about 2.4 million
 * allocations at the default size, no realloc (operator new and delete only).
 * Usage: heap_map_churn [rounds]   (default 300000) */
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

static uint32_t rng = 2463534242u;

static uint32_t next() {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static std::string word(uint32_t r) {
    std::string s = "item-with-a-long-enough-name-";
    s += std::to_string(r % 5000);
    return s;
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 300000;
    std::map<std::string, std::vector<std::string>> m;
    size_t total = 0;
    for (long i = 0; i < rounds; i++) {
        uint32_t r = next();
        std::string key = word(r);
        switch (r % 8) {
        case 0:
            m.erase(key);
            break;
        case 1:
            m[key] = std::vector<std::string>(1 + r % 4, word(r >> 3));
            break;
        default:
            m[key].push_back(word(r >> 7));
            if (m[key].size() > 16)
                m[key].erase(m[key].begin(), m[key].begin() + 8);
        }
    }
    for (auto &kv : m)
        total += kv.second.size();
    printf("%zu keys, %zu values\n", m.size(), total);
    return 0;
}
