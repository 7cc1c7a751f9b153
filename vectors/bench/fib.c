/* Recursive Fibonacci: calls and returns. run(n) = fib(n). */
#include "common.h"
static u64 fib(u32 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
EXPORT("run") u64 run(u32 n) { return fib(n); }
