// build: -O0
/* Closes stderr (and reuses fd 2 for /dev/null) before crashing: the report must still reach
 * the original stderr, which the crash handler duplicated at start-up. */
#include <fcntl.h>
#include <unistd.h>

__attribute__((noinline)) void poke(int *p) {
    *p = 1;
}

int main(void) {
    close(2);
    open("/dev/null", O_WRONLY); /* becomes fd 2 */
    poke(NULL);
    return 0;
}
