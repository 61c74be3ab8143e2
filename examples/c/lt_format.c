// build: -O0
/* ltrace-rs's printf formats: the variadic arguments a format describes, strings among them,
 * past the sixth argument (on the stack), into a buffer (snprintf) and to a FILE (stdout). */
#include <stdio.h>

int main(void) {
    printf("%s-%d-%s-%x-%s-%s-%s-%s\n", "one", 2, "three", 255, "five", "six", "seven", "eight");
    char b[16] = {0};
    snprintf(b, sizeof b, "%s/%s", "a", "b");
    fprintf(stdout, "%c%lu%%\n", 'x', 123456789UL);
    return 0;
}
