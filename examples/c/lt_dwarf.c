// build: -O0 {bin}/lt_dwlib -Wl,-rpath,$ORIGIN
/* Calls lt_dwlib's functions once each (the library is found next to the program), then
 * puts("ok"). */
#include <stdbool.h>
#include <stdio.h>

enum color { RED, GREEN, BLUE };
struct pair {
    long a, b;
};
int add(int a, int b);
const char *greet(const char *name);
void *pick(void *p, unsigned long n);
bool is_neg(long v);
short shrink(enum color c, unsigned char u);
void touch(char *s);
double scale(double x);
float mix(int i, float f, double d, long l);
long double halve(long double x);
double sum9(double a, double b, double c, double d, double e, double f, double g, double h,
            double i);
long sum_pair(struct pair p);
int count_args(int n, ...);

int main(void) {
    char word[] = "word";
    int r = add(2, 3);
    const char *g = greet("bob");
    void *p = pick((void *)0x1000, 16);
    bool n = is_neg(-7);
    short s = shrink(BLUE, 3);
    touch(word);
    double d = scale(1.5);
    float m = mix(7, 0.25f, -1.5, 8);
    long double h = halve(5.0L);
    double s9 = sum9(1, 2, 3, 4, 5, 6, 7, 8, 9);
    struct pair pr = {4, 5};
    long sp = sum_pair(pr);
    int c = count_args(2, 10, 20);
    int ok = r == 5 && g[0] == 'h' && p == (void *)0x1010 && n && s == -5 && word[0] == 'X' &&
             d == 3.0 && sp == 9 && c == 2 && m == 13.75f && h == 2.5L && s9 == 45.0;
    puts(ok ? "ok" : "wrong");
    return !ok;
}
