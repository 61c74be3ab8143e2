// build: -shared -fPIC -O0 -Wl,-soname,lt_dwlib
/* A library built with -g for lt_dwarf: functions no ltrace.conf declares, so ltrace-rs types
 * their arguments from this library's DWARF (ltrace 0.7.3 prints them with its defaults). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef unsigned long count_t;
enum color { RED, GREEN, BLUE };

int add(int a, int b) { return a + b; }

const char *greet(const char *name) {
    static char buf[64];
    snprintf(buf, sizeof buf, "hello %s", name);
    return buf;
}

void *pick(void *p, count_t n) { return (char *)p + n; }

bool is_neg(long v) { return v < 0; }

short shrink(enum color c, unsigned char u) { return (short)(-(int)c - u); }

void touch(char *s) { s[0] = 'X'; }

double scale(double x) { return x * 2; }

struct pair {
    long a, b;
};
long sum_pair(struct pair p) { return p.a + p.b; }

int count_args(int n, ...) { return n; }
