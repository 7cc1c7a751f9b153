/* N-body simulation of the outer planets, n steps: f64 arithmetic and sqrt. */
#include "common.h"
#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS 365.24
typedef struct { double x, y, z, vx, vy, vz, m; } Body;
static Body bodies[5];
static void init(void) {
  Body b[5] = {
    {0, 0, 0, 0, 0, 0, SOLAR_MASS},
    {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
     1.66007664274403694e-03 * DAYS, 7.69901118419740425e-03 * DAYS, -6.90460016972063023e-05 * DAYS,
     9.54791938424326609e-04 * SOLAR_MASS},
    {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
     -2.76742510726862411e-03 * DAYS, 4.99852801234917238e-03 * DAYS, 2.30417297573763929e-05 * DAYS,
     2.85885980666130812e-04 * SOLAR_MASS},
    {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
     2.96460137564761618e-03 * DAYS, 2.37847173959480950e-03 * DAYS, -2.96589568540237556e-05 * DAYS,
     4.36624404335156298e-05 * SOLAR_MASS},
    {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
     2.68067772490389322e-03 * DAYS, 1.62824170038242295e-03 * DAYS, -9.51592254519715870e-05 * DAYS,
     5.15138902046611451e-05 * SOLAR_MASS}};
  for (int i = 0; i < 5; i++) bodies[i] = b[i];
}
static double energy(void) {
  double e = 0;
  for (int i = 0; i < 5; i++) {
    Body *b = &bodies[i];
    e += 0.5 * b->m * (b->vx * b->vx + b->vy * b->vy + b->vz * b->vz);
    for (int j = i + 1; j < 5; j++) {
      Body *c = &bodies[j];
      double dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
      e -= b->m * c->m / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return e;
}
EXPORT("run") u64 run(u32 n) {
  init();
  const double dt = 0.01;
  for (u32 s = 0; s < n; s++) {
    for (int i = 0; i < 5; i++)
      for (int j = i + 1; j < 5; j++) {
        Body *b = &bodies[i], *c = &bodies[j];
        double dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
        double d2 = dx * dx + dy * dy + dz * dz;
        double mag = dt / (d2 * __builtin_sqrt(d2));
        b->vx -= dx * c->m * mag; b->vy -= dy * c->m * mag; b->vz -= dz * c->m * mag;
        c->vx += dx * b->m * mag; c->vy += dy * b->m * mag; c->vz += dz * b->m * mag;
      }
    for (int i = 0; i < 5; i++) {
      Body *b = &bodies[i];
      b->x += dt * b->vx; b->y += dt * b->vy; b->z += dt * b->vz;
    }
  }
  union { double d; u64 u; } bits = { energy() };
  return bits.u;
}
