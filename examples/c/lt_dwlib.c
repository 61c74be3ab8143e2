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

/* Floating point among integers: i and l in rdi/rsi, f and d in xmm0/xmm1, the float result in
 * xmm0; a long double on the stack, returned in st0; nine doubles, the last on the stack. */
float mix(int i, float f, double d, long l) { return (float)(i + f + d + l); }

long double halve(long double x) { return x / 2; }

double sum9(double a, double b, double c, double d, double e, double f, double g, double h,
            double i) {
    return a + b + c + d + e + f + g + h + i;
}

struct pair {
    long a, b;
};
long sum_pair(struct pair p) { return p.a + p.b; }

int count_args(int n, ...) { return n; }
