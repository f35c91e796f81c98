/* Calls every entry point of the native Lorenz library and checks it: f at a point by hand, the JVP against the
 * VJP (dot-product identity), the solve and the gradient against the reference values of
 * tests/reference/lorenz_gradients.json ("T=1"), and the invalid-argument status. Prints the time to the first
 * call (which starts the runtime) and to the first gradient. Exit status: the number of failed checks. */
#include <math.h>
#include <stdio.h>
#include <time.h>
#include "odegen_lorenz.h"

static int failed = 0, passed = 0;

static void check(int ok, const char *what, double got, double want)
{
    if (ok) passed++;
    else { failed++; printf("FAILED %s: got %.17g, want %.17g\n", what, got, want); }
}

static void close_to(const char *what, double got, double want, double rel)
{
    check(fabs(got - want) <= rel * fmax(fabs(want), 1e-300), what, got, want);
}

static double seconds(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + 1e-9 * (double)(b->tv_nsec - a->tv_nsec);
}

int main(void)
{
    struct timespec start, first_call, first_gradient;
    clock_gettime(CLOCK_MONOTONIC, &start);
    const double p[3] = {10.0, 28.0, 8.0 / 3.0}, y0[3] = {1.0, 1.0, 1.0};

    double f[3];
    check(odegen_lorenz_evaluate(0.0, y0, p, f) == 0, "evaluate status", 0, 0);
    clock_gettime(CLOCK_MONOTONIC, &first_call);
    close_to("f[0]", f[0], 0.0, 0.0);
    close_to("f[1]", f[1], 26.0, 0.0);
    close_to("f[2]", f[2], 1.0 - 8.0 / 3.0, 1e-15);

    /* <a, J v> = <J^T a, v> with J = [df/dy df/dp df/dt]. */
    const double y[3] = {0.3, -1.2, 2.5}, v_y[3] = {0.7, -0.1, 0.4}, v_p[3] = {0.2, 0.9, -0.6}, a[3] = {-0.8, 0.5, 1.1};
    double jv[3], y_bar[3] = {0}, p_bar[3] = {0}, t_bar = 0;
    check(odegen_lorenz_jvp(0.5, y, p, 1.0, v_y, v_p, f, jv) == 0, "jvp status", 0, 0);
    check(odegen_lorenz_vjp(0.5, y, p, a, y_bar, p_bar, &t_bar) == 0, "vjp status", 0, 0);
    double left = 0, right = t_bar;
    for (int i = 0; i < 3; i++) { left += a[i] * jv[i]; right += y_bar[i] * v_y[i] + p_bar[i] * v_p[i]; }
    close_to("dot-product identity", left, right, 1e-14);

    double y1[3];
    check(odegen_lorenz_solve(y0, p, 0.0, 1.0, 1e-10, 1e-10, y1) == 0, "solve status", 0, 0);
    const double y_ref[3] = {-9.378570010925072, -8.357033788426644, 29.362325337363448};
    for (int i = 0; i < 3; i++) close_to("y(1)", y1[i], y_ref[i], 1e-7);

    const double dl_dy[3] = {1.0, 1.0, 1.0};
    double g_y0[3], g_p[3];
    check(odegen_lorenz_gradient(y0, p, 0.0, 1.0, dl_dy, 1e-10, 1e-10, g_y0, g_p) == 0, "gradient status", 0, 0);
    clock_gettime(CLOCK_MONOTONIC, &first_gradient);
    const double g_y0_ref[3] = {1.550408433843295, 1.2236724349311583, 0.23335890313185903};
    const double g_p_ref[3] = {-1.012052862057665, 1.069268440816415, 7.930139600727573};
    for (int i = 0; i < 3; i++) { close_to("dL/dy0", g_y0[i], g_y0_ref[i], 1e-6); close_to("dL/dp", g_p[i], g_p_ref[i], 1e-6); }

    check(odegen_lorenz_solve(y0, p, 0.0, 1.0, -1.0, 1e-10, y1) == ODEGEN_INVALID_ARGUMENT, "negative tolerance", 0, 0);
    check(odegen_lorenz_gradient(y0, p, 0.0, 1.0, NULL, 1e-10, 1e-10, g_y0, g_p) == ODEGEN_INVALID_ARGUMENT, "null pointer", 0, 0);

    printf("y(1) = [%.15g, %.15g, %.15g]; dL/dp = [%.15g, %.15g, %.15g]\n", y1[0], y1[1], y1[2], g_p[0], g_p[1], g_p[2]);
    printf("time to the first call: %.2f ms; to the first gradient: %.2f ms\n",
           1e3 * seconds(&start, &first_call), 1e3 * seconds(&start, &first_gradient));
    printf("c checks: %d passed, %d failed\n", passed, failed);
    return failed;
}
