/* Shared by the peer programs: the Lorenz problem, SplitMix64 (bit-identical to Problems.cs), and the timing
 * method of the C# 'peers' mode: warm up, batch calls until a sample takes >= 5 ms, median over the samples.
 * Output: RESULT case impl median_us steps calls v1,v2,...  (see benchmarks/OdeGen.Benchmarks/PeerMode.cs). */
#ifndef PEER_COMMON_H
#define PEER_COMMON_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LORENZ_SIGMA 10.0
#define LORENZ_RHO 28.0
#define LORENZ_BETA (8.0 / 3.0)
#define TOL 1e-8
#define ENSEMBLE_SIZE 1000
#define ENSEMBLE_STEPS 1000
#define ENSEMBLE_DT 0.001

static int peer_quick = 0; /* set from argv: fewer samples, shorter warm-up */
static int peer_once = 0;  /* set from argv ("once"): compute and print, do not time (median_us returns 0) */

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

static int cmp_double(const void* a, const void* b)
{
    double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

static volatile double peer_sink;

/* Median time of one call of op(ctx) in microseconds. */
static double median_us(double (*op)(void*), void* ctx)
{
    if (peer_once) return 0;
    double start = now_us(), sink = 0;
    long calls = 0;
    while (now_us() - start < (peer_quick ? 300e3 : 1000e3) || calls < 60) { sink += op(ctx); calls++; }
    start = now_us();
    long timed = 0;
    while (now_us() - start < 20e3 || timed < 3) { sink += op(ctx); timed++; }
    double per_call = (now_us() - start) / timed;
    long batch = (long)(5000.0 / per_call) + 1;
    int samples = peer_quick ? 7 : 31;
    double times[31];
    for (int s = 0; s < samples; s++)
    {
        double t0 = now_us();
        for (long b = 0; b < batch; b++) sink += op(ctx);
        times[s] = (now_us() - t0) / batch;
    }
    peer_sink = sink;
    qsort(times, samples, sizeof(double), cmp_double);
    return times[samples / 2];
}

static void print_result(const char* kase, const char* impl, double us, long steps, long calls, const double* v, int nv)
{
    printf("RESULT %s %s %.3f %ld %ld ", kase, impl, us, steps, calls);
    for (int i = 0; i < nv; i++) printf(i ? ",%.17g" : "%.17g", v[i]);
    printf("\n");
    fflush(stdout);
}

typedef struct { uint64_t state; } splitmix64;

static uint64_t splitmix64_next(splitmix64* r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double splitmix64_double(splitmix64* r) { return (double)(splitmix64_next(r) >> 11) * (1.0 / 9007199254740992.0); }

/* (σ, ρ, β) per trajectory: σ ∈ [8, 12), ρ ∈ [20, 35), β = 8/3, seed 42, σ then ρ. */
static void ensemble_parameters(double* p, int count)
{
    splitmix64 r = {42};
    for (int i = 0; i < count; i++)
    {
        p[3 * i] = 8 + 4 * splitmix64_double(&r);
        p[3 * i + 1] = 20 + 15 * splitmix64_double(&r);
        p[3 * i + 2] = 8.0 / 3.0;
    }
}
#endif
