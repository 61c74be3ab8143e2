// build: -shared -fPIC -O0 -lm
/* A library that lt_dlopen dlopens (its path as argument): plug_cos calls libm's cos and
 * plug_len libc's strlen, calls from one library into others. */
#include <math.h>
#include <string.h>

double plug_cos(double x) { return cos(x); }

size_t plug_len(const char *s) { return strlen(s); }
