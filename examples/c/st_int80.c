// build: -O1 -no-pie
/* i386 system calls from a 64-bit program (int $0x80): getpid and write, then a normal
 * x86_64 getpid. strace switches to its 32-bit table and says so. */
#include <unistd.h>

int main(void) {
    long r;
    static const char msg[] = "hi32\n";
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(4L), "b"(1L), "c"(msg), "d"(5L) : "memory");
    getpid();
    return 0;
}
