/* A bytecode interpreter's dispatch loop: a stack machine summing Collatz
   sequence lengths for 1..n. Indirect branches through a switch. */
#include "common.h"
enum { PUSH, LOAD, STORE, ADD, SUB, MUL, SHR, AND, JZ, JMP, LT, DUP, POP, HALT };
/* locals: 0 = i, 1 = x, 2 = total, 3 = limit (n + 1) */
static i32 code[128];
static i32 stack[64];
static i32 locals[4];
static u32 build(void) {
  u32 n = 0;
#define OP(...) do { i32 ops[] = {__VA_ARGS__}; for (u32 k = 0; k < sizeof ops / sizeof ops[0]; k++) code[n++] = ops[k]; } while (0)
  OP(PUSH, 1, STORE, 0);                       /* 0: i = 1 */
  u32 loop = n;
  OP(LOAD, 0, LOAD, 3, LT, JZ, 0);             /* while i < limit */
  u32 exit_patch = n - 1;
  OP(LOAD, 0, STORE, 1);                       /* x = i */
  u32 inner = n;
  OP(LOAD, 1, PUSH, 1, SUB, JZ, 0);            /* while x - 1 != 0 */
  u32 inner_exit = n - 1;
  OP(LOAD, 1, PUSH, 1, AND, JZ, 0);            /* if x & 1 */
  u32 even_patch = n - 1;
  OP(LOAD, 1, PUSH, 3, MUL, PUSH, 1, ADD, STORE, 1, JMP, 0); /* x = 3x + 1 */
  u32 join_patch = n - 1;
  code[even_patch] = (i32)n;
  OP(LOAD, 1, PUSH, 1, SHR, STORE, 1);         /* x = x >> 1 */
  code[join_patch] = (i32)n;
  OP(LOAD, 2, PUSH, 1, ADD, STORE, 2, JMP, (i32)inner); /* total += 1 */
  code[inner_exit] = (i32)n;
  OP(LOAD, 0, PUSH, 1, ADD, STORE, 0, JMP, (i32)loop);  /* i += 1 */
  code[exit_patch] = (i32)n;
  OP(LOAD, 2, HALT);
  return n;
}
static i32 exec(void) {
  u32 pc = 0, sp = 0;
  for (;;) {
    i32 op = code[pc++];
    switch (op) {
      case PUSH: stack[sp++] = code[pc++]; break;
      case LOAD: stack[sp++] = locals[code[pc++]]; break;
      case STORE: locals[code[pc++]] = stack[--sp]; break;
      case ADD: sp--; stack[sp - 1] += stack[sp]; break;
      case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
      case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
      case SHR: sp--; stack[sp - 1] = (i32)((u32)stack[sp - 1] >> stack[sp]); break;
      case AND: sp--; stack[sp - 1] &= stack[sp]; break;
      case LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
      case JZ: { i32 t = code[pc++]; if (stack[--sp] == 0) pc = (u32)t; break; }
      case JMP: pc = (u32)code[pc]; break;
      case DUP: stack[sp] = stack[sp - 1]; sp++; break;
      case POP: sp--; break;
      case HALT: return stack[sp - 1];
      default: return -1;
    }
  }
}
EXPORT("run") u64 run(u32 n) {
  build();
  locals[0] = locals[1] = locals[2] = 0;
  locals[3] = (i32)n + 1;
  return (u64)(u32)exec();
}
