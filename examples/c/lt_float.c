// build: -O0 -fno-builtin -lm
/* ltrace-rs's floating point victim: libm and libc functions taking and returning float and
 * double (in SSE registers: xmm0-7 in order among the floating point arguments, the result in
 * xmm0), mixed with integer arguments, and printf formats with doubles, past the eight SSE
 * registers (the rest on the stack, between the integer arguments past the sixth).
 * The inputs are volatile and builtins off, so that every call is made at run time.
 * Calls, once per run: sqrt 1, pow 2, sqrtf 1, floor 1, ldexp 1, atof 1, strtod 1, frexp 1,
 * modf 1, copysign 1, nan 1, fmax 1, printf 3. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

volatile double two = 2.0, half = 0.5, neg = -2.5, big = 1e20, zero = 0.0, ten = 10.0;
volatile float twof = 2.0f;

int main(void) {
    double r = sqrt(two);
    double p = pow(two, ten);
    float sf = sqrtf(twof);
    double f = floor(neg);
    double l = ldexp(half, 3);
    double a = atof("3.25");
    char *end;
    double t = strtod("-1e-7 rest", &end);
    int e;
    double m = frexp(big, &e);
    double ip;
    double fr = modf(neg, &ip);
    double mz = copysign(zero, neg);
    double n = nan("");
    double huge = pow(ten, 20.0 * half * 2);
    double inf = fmax(-HUGE_VAL, neg) * 0 - HUGE_VAL;
    printf("%f %g %d %.3f %s %e\n", r, p, 7, (double)sf, "x", f);
    printf("%d %d %d %d %d %d %f %f %f %f %f %f %f %f %f %f %s\n", 1, 2, 3, 4, 5, 6, r, p,
           (double)sf, f, l, a, t, m, fr, ip, "end");
    printf("%f %f %f %f %d\n", huge, inf, n, mz, e);
    return 0;
}
