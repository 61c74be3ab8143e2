// build: -std=c++17 -O0
/* A clean C++17 program using aligned new: a type with alignas(64) goes through
 * operator new(size_t, align_val_t) and the matching delete (Electric Fence and DUMA report a
 * false error here). It checks the alignment itself and prints a checksum. */
#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

struct alignas(64) Line {
    unsigned char bytes[64];
};

int main() {
    unsigned long sum = 0;
    std::vector<std::unique_ptr<Line>> lines;
    for (int i = 0; i < 1000; i++) {
        lines.push_back(std::make_unique<Line>());
        if (reinterpret_cast<std::uintptr_t>(lines.back().get()) % 64 != 0) {
            std::printf("misaligned Line at %p\n", static_cast<void *>(lines.back().get()));
            return 1;
        }
        for (int b = 0; b < 64; b++) lines.back()->bytes[b] = static_cast<unsigned char>(i + b);
    }
    Line *arr = new Line[7];
    arr[6].bytes[63] = 9;
    sum += arr[6].bytes[63];
    delete[] arr;
    for (auto &l : lines) sum += l->bytes[63];
    lines.clear();
    std::printf("aligned new: 1000 lines, checksum %lu\n", sum);
    return 0;
}
