/* The peer of OdeGen's per-lane adaptive ensemble (EnsembleOptions.PerLaneSteps): 10,000 Lorenz trajectories from spread
 * initial conditions, t in [0, 10], Dormand-Prince 5(4) with rtol = atol = 1e-8, each trajectory with its own adaptive
 * steps, written two ways in C: one trajectory at a time, its state in three locals (lorenz_dopri5_ensemble, which gcc
 * cannot vectorize), and structure of arrays, a block of trajectories whose stages gcc vectorizes across the lanes
 * (lorenz_dopri5_ensemble_soa, below); OpenMP for more than one core. -fno-math-errno lets gcc vectorize sqrt (it changes
 * no value, only errno). The step control is the one OdeGen's Ode.Solve uses
 * (Hairer's automatic first step, RMS error norm with sc = atol + rtol*max(|y|, |y_new|), PI control with
 * alpha = 0.7/5, beta = 0.4/5, safety 0.9, factors in [0.2, 10], no growth right after a rejection), so both take the
 * same steps up to rounding and their accuracy can be compared against one reference.
 *
 * Built two ways:
 *   gcc -O3 -march=native -fno-math-errno -fopenmp -o dopri5_ensemble dopri5_ensemble.c -lm   (run-peers.sh: prints its timings)
 *   gcc -O3 -march=native -fno-math-errno -fopenmp -shared -fPIC -DPEER_LIBRARY ...  (the BenchmarkDotNet class
 *       PerLaneEnsembleBenchmarks calls both functions through function pointers, same run window as ours) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Dormand & Prince (1980), the 5th-order solution and the difference to the 4th-order one (b - bhat). */
static const double a21 = 1.0 / 5;
static const double a31 = 3.0 / 40, a32 = 9.0 / 40;
static const double a41 = 44.0 / 45, a42 = -56.0 / 15, a43 = 32.0 / 9;
static const double a51 = 19372.0 / 6561, a52 = -25360.0 / 2187, a53 = 64448.0 / 6561, a54 = -212.0 / 729;
static const double a61 = 9017.0 / 3168, a62 = -355.0 / 33, a63 = 46732.0 / 5247, a64 = 49.0 / 176, a65 = -5103.0 / 18656;
static const double b1 = 35.0 / 384, b3 = 500.0 / 1113, b4 = 125.0 / 192, b5 = -2187.0 / 6784, b6 = 11.0 / 84;
static const double e1 = 71.0 / 57600, e3 = -71.0 / 16695, e4 = 71.0 / 1920, e5 = -17253.0 / 339200, e6 = 22.0 / 525,
                    e7 = -1.0 / 40;

#define F(x, y, z, dx, dy, dz)          \
    do {                                \
        dx = s * ((y) - (x));           \
        dy = (x) * (r - (z)) - (y);     \
        dz = (x) * (y) - b * (z);       \
    } while (0)

static double sq(double v) { return v * v; }

/* Hairer, Norsett & Wanner I, II.4: the automatic first step from (x, y, z) with f = (kx1, ky1, kz1). */
static double first_step(double x, double y, double z, double kx1, double ky1, double kz1, double s, double r, double b,
                         double t1, double rtol, double atol)
{
    double d0 = 0, d1 = 0, sc;
    sc = atol + rtol * fabs(x); d0 += sq(x / sc); d1 += sq(kx1 / sc);
    sc = atol + rtol * fabs(y); d0 += sq(y / sc); d1 += sq(ky1 / sc);
    sc = atol + rtol * fabs(z); d0 += sq(z / sc); d1 += sq(kz1 / sc);
    d0 = sqrt(d0 / 3);
    d1 = sqrt(d1 / 3);
    double h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1;
    if (h0 > t1) h0 = t1;
    double ex, ey, ez;
    F(x + h0 * kx1, y + h0 * ky1, z + h0 * kz1, ex, ey, ez);
    double d2 = 0;
    sc = atol + rtol * fabs(x); d2 += sq((ex - kx1) / sc);
    sc = atol + rtol * fabs(y); d2 += sq((ey - ky1) / sc);
    sc = atol + rtol * fabs(z); d2 += sq((ez - kz1) / sc);
    d2 = sqrt(d2 / 3) / h0;
    double dmax = d1 > d2 ? d1 : d2;
    double h1 = dmax <= 1e-15 ? fmax(1e-6, h0 * 1e-3) : pow(0.01 / dmax, 1.0 / 5);
    return fmin(100 * h0, h1);
}

/* PI control (OdeGen's Ode.Solve: alpha = 0.7/5, beta = 0.4/5, safety 0.9, factors in [0.2, 10], no growth right after a
 * rejection): the next step size after a step of size h with error norm err; returns whether the step is accepted. */
static const double alpha = 0.7 / 5, beta_pi = 0.4 / 5, safety = 0.9, min_factor = 0.2, max_factor = 10;

static int control(double err, double* h, double* previous_error, int* last_rejected)
{
    if (err <= 1) {
        double factor = err == 0 ? max_factor : safety * pow(err, -alpha) * pow(*previous_error, beta_pi);
        factor = fmin(fmax(factor, min_factor), *last_rejected ? 1.0 : max_factor);
        *previous_error = fmax(err, 1e-4);
        *last_rejected = 0;
        *h *= factor;
        return 1;
    }
    *h *= fmax(min_factor, safety * pow(err, -alpha));
    *last_rejected = 1;
    return 0;
}

static inline double larger(double a, double b) { return a > b ? a : b; }

/* One attempted step of size h from (x, y, z) with f = (kx1, ky1, kz1): the candidate (nx, ny, nz), f there (kx7, ky7,
 * kz7, the next step's first stage when accepted) and the returned RMS error norm. Both loops below call it; inlined, it
 * is one trajectory's straight-line code in solve_one and the body gcc vectorizes across the lanes in the other.
 * larger() for fmax: the same on finite values, and gcc vectorizes it without -ffast-math. */
static inline __attribute__((always_inline)) double attempt(double x, double y, double z, double kx1, double ky1, double kz1, double h, double s, double r,
                             double b, double rtol, double atol, double* nxp, double* nyp, double* nzp, double* kx7p,
                             double* ky7p, double* kz7p)
{
    double ax, ay, az, kx2, ky2, kz2, kx3, ky3, kz3, kx4, ky4, kz4, kx5, ky5, kz5, kx6, ky6, kz6, kx7, ky7, kz7;
    ax = x + h * a21 * kx1; ay = y + h * a21 * ky1; az = z + h * a21 * kz1;
    F(ax, ay, az, kx2, ky2, kz2);
    ax = x + h * (a31 * kx1 + a32 * kx2); ay = y + h * (a31 * ky1 + a32 * ky2); az = z + h * (a31 * kz1 + a32 * kz2);
    F(ax, ay, az, kx3, ky3, kz3);
    ax = x + h * (a41 * kx1 + a42 * kx2 + a43 * kx3);
    ay = y + h * (a41 * ky1 + a42 * ky2 + a43 * ky3);
    az = z + h * (a41 * kz1 + a42 * kz2 + a43 * kz3);
    F(ax, ay, az, kx4, ky4, kz4);
    ax = x + h * (a51 * kx1 + a52 * kx2 + a53 * kx3 + a54 * kx4);
    ay = y + h * (a51 * ky1 + a52 * ky2 + a53 * ky3 + a54 * ky4);
    az = z + h * (a51 * kz1 + a52 * kz2 + a53 * kz3 + a54 * kz4);
    F(ax, ay, az, kx5, ky5, kz5);
    ax = x + h * (a61 * kx1 + a62 * kx2 + a63 * kx3 + a64 * kx4 + a65 * kx5);
    ay = y + h * (a61 * ky1 + a62 * ky2 + a63 * ky3 + a64 * ky4 + a65 * ky5);
    az = z + h * (a61 * kz1 + a62 * kz2 + a63 * kz3 + a64 * kz4 + a65 * kz5);
    F(ax, ay, az, kx6, ky6, kz6);
    double nx = x + h * (b1 * kx1 + b3 * kx3 + b4 * kx4 + b5 * kx5 + b6 * kx6);
    double ny = y + h * (b1 * ky1 + b3 * ky3 + b4 * ky4 + b5 * ky5 + b6 * ky6);
    double nz = z + h * (b1 * kz1 + b3 * kz3 + b4 * kz4 + b5 * kz5 + b6 * kz6);
    F(nx, ny, nz, kx7, ky7, kz7);
    double errx = h * (e1 * kx1 + e3 * kx3 + e4 * kx4 + e5 * kx5 + e6 * kx6 + e7 * kx7);
    double erry = h * (e1 * ky1 + e3 * ky3 + e4 * ky4 + e5 * ky5 + e6 * ky6 + e7 * ky7);
    double errz = h * (e1 * kz1 + e3 * kz3 + e4 * kz4 + e5 * kz5 + e6 * kz6 + e7 * kz7);
    double err = sq(errx / (atol + rtol * larger(fabs(x), fabs(nx))))
               + sq(erry / (atol + rtol * larger(fabs(y), fabs(ny))))
               + sq(errz / (atol + rtol * larger(fabs(z), fabs(nz))));
    *nxp = nx; *nyp = ny; *nzp = nz;
    *kx7p = kx7; *ky7p = ky7; *kz7p = kz7;
    return sqrt(err / 3);
}

/* One trajectory from (x, y, z) at t = 0 to t1; returns its accepted steps (negative when it gave up). */
static long solve_one(double* px, double* py, double* pz, double s, double r, double b, double t1, double rtol, double atol)
{
    double x = *px, y = *py, z = *pz;
    double kx1, ky1, kz1;
    F(x, y, z, kx1, ky1, kz1);
    double h = first_step(x, y, z, kx1, ky1, kz1, s, r, b, t1, rtol, atol);
    double t = 0, previous_error = 1e-4;
    int last_rejected = 0;
    long steps = 0, attempts = 0;
    while (t < t1) {
        if (++attempts > 10000000) return -steps;
        int to_end = h >= t1 - t;
        if (to_end) h = t1 - t;
        double nx, ny, nz, kx7, ky7, kz7;
        double err = attempt(x, y, z, kx1, ky1, kz1, h, s, r, b, rtol, atol, &nx, &ny, &nz, &kx7, &ky7, &kz7);
        if (!(err == err)) return -steps; /* non-finite: give up (does not happen on this problem) */
        double h_taken = h;
        if (control(err, &h, &previous_error, &last_rejected)) {
            x = nx; y = ny; z = nz;
            kx1 = kx7; ky1 = ky7; kz1 = kz7; /* first same as last */
            t = to_end ? t1 : t + h_taken;
            steps++;
        }
    }
    *px = x; *py = y; *pz = z;
    return steps;
}

/* The ensemble: y0s and finals are count x 3 row-major (finals may alias y0s); returns the sum of the final states and
 * stores the total of accepted steps in *steps. threads <= 0: OpenMP's default. */
double lorenz_dopri5_ensemble(int count, const double* y0s, double sigma, double rho, double beta, double t1, double rtol,
                              double atol, int threads, double* finals, long* steps)
{
    long total = 0;
    int failed = 0;
#ifdef _OPENMP
    if (threads > 0) omp_set_num_threads(threads);
#endif
#pragma omp parallel for schedule(dynamic, 16) reduction(+ : total, failed)
    for (int j = 0; j < count; j++) {
        double x = y0s[3 * j], y = y0s[3 * j + 1], z = y0s[3 * j + 2];
        long k = solve_one(&x, &y, &z, sigma, rho, beta, t1, rtol, atol);
        if (k < 0) { failed++; k = -k; x = y = z = NAN; }
        finals[3 * j] = x; finals[3 * j + 1] = y; finals[3 * j + 2] = z;
        total += k;
    }
    *steps = total;
    double sum = 0;
    for (int i = 0; i < 3 * count; i++) sum += finals[i];
    return failed ? NAN : sum;
}

/* The same ensemble written structure-of-arrays, as a C programmer would write it for gcc to vectorize: each thread keeps
 * a block of SOA_LANES trajectories, every lane with its own t, h and controller state, in arrays of the block. One pass
 * over the block takes one attempted step in every lane: the stages, the new state and the error norm are one loop over
 * the lanes that gcc vectorizes (-O3 -march=native; 'omp simd' asks it to); the controller (pow has no vector form
 * without -ffast-math) and the lanes' bookkeeping are plain loops. A lane whose trajectory reaches t1 takes the next one
 * (a shared counter), so no lane waits for the block's slowest trajectory. The arithmetic of each trajectory is
 * solve_one's, in the same order, so both take the same steps and give the same final states up to the compiler's
 * contraction into fused multiply-adds. */
#ifndef SOA_LANES
#define SOA_LANES 16
#endif

typedef struct {
    double x[SOA_LANES], y[SOA_LANES], z[SOA_LANES], kx[SOA_LANES], ky[SOA_LANES], kz[SOA_LANES];
    double nx[SOA_LANES], ny[SOA_LANES], nz[SOA_LANES], mx[SOA_LANES], my[SOA_LANES], mz[SOA_LANES];
    double t[SOA_LANES], h[SOA_LANES], taken[SOA_LANES], err[SOA_LANES], previous_error[SOA_LANES];
    int accept[SOA_LANES], to_end[SOA_LANES], last_rejected[SOA_LANES], trajectory[SOA_LANES];
    long steps[SOA_LANES], attempts[SOA_LANES];
} soa_block;

/* Puts trajectory j (or, for j < 0, an idle lane that takes zero-length steps at t1) into lane l. */
static void soa_load(soa_block* B, int l, int j, const double* y0s, double s, double r, double b, double t1, double rtol,
                     double atol)
{
    B->trajectory[l] = j;
    B->previous_error[l] = 1e-4;
    B->last_rejected[l] = 0;
    B->steps[l] = 0;
    B->attempts[l] = 0;
    if (j < 0) {
        B->x[l] = B->y[l] = B->z[l] = B->kx[l] = B->ky[l] = B->kz[l] = 0;
        B->t[l] = t1;
        B->h[l] = 0;
        return;
    }
    double x = y0s[3 * j], y = y0s[3 * j + 1], z = y0s[3 * j + 2], kx1, ky1, kz1;
    F(x, y, z, kx1, ky1, kz1);
    B->x[l] = x; B->y[l] = y; B->z[l] = z;
    B->kx[l] = kx1; B->ky[l] = ky1; B->kz[l] = kz1;
    B->t[l] = 0;
    B->h[l] = first_step(x, y, z, kx1, ky1, kz1, s, r, b, t1, rtol, atol);
}

double lorenz_dopri5_ensemble_soa(int count, const double* y0s, double s, double r, double b, double t1, double rtol,
                                  double atol, int threads, double* finals, long* steps)
{
    long total = 0;
    int failed = 0, next = 0;
#ifdef _OPENMP
    if (threads > 0) omp_set_num_threads(threads);
#endif
#pragma omp parallel reduction(+ : total, failed)
    {
        soa_block block, *B = &block;
        int active = 0;
        for (int l = 0; l < SOA_LANES; l++) {
            int j;
#pragma omp atomic capture
            j = next++;
            if (j >= count) j = -1; else active++;
            soa_load(B, l, j, y0s, s, r, b, t1, rtol, atol);
        }
        while (active > 0) {
#pragma omp simd
            for (int l = 0; l < SOA_LANES; l++) {
                double x = B->x[l], y = B->y[l], z = B->z[l], kx1 = B->kx[l], ky1 = B->ky[l], kz1 = B->kz[l];
                double t = B->t[l], h = B->h[l];
                int to_end = h >= t1 - t;
                h = to_end ? t1 - t : h;
                double nx, ny, nz, kx7, ky7, kz7;
                B->err[l] = attempt(x, y, z, kx1, ky1, kz1, h, s, r, b, rtol, atol, &nx, &ny, &nz, &kx7, &ky7, &kz7);
                B->taken[l] = h;
                B->to_end[l] = to_end;
                B->nx[l] = nx; B->ny[l] = ny; B->nz[l] = nz;
                B->mx[l] = kx7; B->my[l] = ky7; B->mz[l] = kz7;
            }
            /* The controller, lane by lane (pow). An idle lane's error is 0: its "accepted" zero-length steps are ignored. */
            for (int l = 0; l < SOA_LANES; l++) {
                B->h[l] = B->taken[l];
                B->accept[l] = control(B->err[l], &B->h[l], &B->previous_error[l], &B->last_rejected[l]);
            }
#pragma omp simd
            for (int l = 0; l < SOA_LANES; l++) {
                if (B->accept[l]) {
                    B->x[l] = B->nx[l]; B->y[l] = B->ny[l]; B->z[l] = B->nz[l];
                    B->kx[l] = B->mx[l]; B->ky[l] = B->my[l]; B->kz[l] = B->mz[l]; /* first same as last */
                    B->t[l] = B->to_end[l] ? t1 : B->t[l] + B->taken[l];
                }
            }
            /* Lanes that finished (or gave up) hand their trajectory back and take the next one. */
            for (int l = 0; l < SOA_LANES; l++) {
                int j = B->trajectory[l];
                if (j < 0) continue;
                B->steps[l] += B->accept[l];
                int gave_up = !(B->err[l] == B->err[l]) || ++B->attempts[l] > 10000000;
                if (!gave_up && B->t[l] < t1) continue;
                if (gave_up) {
                    failed++;
                    finals[3 * j] = finals[3 * j + 1] = finals[3 * j + 2] = NAN;
                } else {
                    finals[3 * j] = B->x[l]; finals[3 * j + 1] = B->y[l]; finals[3 * j + 2] = B->z[l];
                }
                total += B->steps[l];
#pragma omp atomic capture
                j = next++;
                if (j >= count) { j = -1; active--; }
                soa_load(B, l, j, y0s, s, r, b, t1, rtol, atol);
            }
        }
    }
    *steps = total;
    double sum = 0;
    for (int i = 0; i < 3 * count; i++) sum += finals[i];
    return failed ? NAN : sum;
}

#ifndef PEER_LIBRARY
/* The inputs of PerLaneEnsembleBenchmarks: SplitMix64 seed 2026, x, y ~ U(-15, 15), z ~ U(5, 45). */
static uint64_t next_bits(uint64_t* state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double next_double(uint64_t* state) { return (double)(next_bits(state) >> 11) * (1.0 / 9007199254740992.0); }

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char** argv)
{
    const int count = 10000;
    int runs = argc > 1 && argv[1][0] == '-' ? 2 : 5; /* --quick: fewer runs */
    double* y0s = malloc(sizeof(double) * 3 * count);
    double* finals = malloc(sizeof(double) * 3 * count);
    uint64_t state = 2026;
    for (int j = 0; j < count; j++) {
        y0s[3 * j] = -15 + 30 * next_double(&state);
        y0s[3 * j + 1] = -15 + 30 * next_double(&state);
        y0s[3 * j + 2] = 5 + 40 * next_double(&state);
    }
    for (int threads = 1; threads <= 2; threads++) {
        double best = 1e300, sum = 0;
        long steps = 0;
        for (int r = 0; r < runs; r++) {
            double start = seconds();
            sum = lorenz_dopri5_ensemble(count, y0s, 10, 28, 8.0 / 3, 10, 1e-8, 1e-8, threads, finals, &steps);
            double elapsed = seconds() - start;
            if (elapsed < best) best = elapsed;
        }
        printf("# dopri5_ensemble (gcc -O3 -march=native, C loop per trajectory): %d trajectories, t in [0, 10], tol 1e-8, "
               "%d thread(s): best of %d %.1f ms, %ld accepted steps (%.1f ns per step), sum of final states %.10g\n",
               count, threads, runs, best * 1e3, steps, best * 1e9 / steps * threads, sum);
        best = 1e300;
        for (int r = 0; r < runs; r++) {
            double start = seconds();
            sum = lorenz_dopri5_ensemble_soa(count, y0s, 10, 28, 8.0 / 3, 10, 1e-8, 1e-8, threads, finals, &steps);
            double elapsed = seconds() - start;
            if (elapsed < best) best = elapsed;
        }
        printf("# dopri5_ensemble (gcc -O3 -march=native, structure of arrays, %d lanes a block): %d trajectories, t in [0, 10], "
               "tol 1e-8, %d thread(s): best of %d %.1f ms, %ld accepted steps (%.1f ns per step), sum of final states %.10g\n",
               SOA_LANES, count, threads, runs, best * 1e3, steps, best * 1e9 / steps * threads, sum);
    }
    free(y0s);
    free(finals);
    return 0;
}
#endif
