// Lorenz with Boost.Odeint: runge_kutta_dopri5 as a controlled stepper (integrate_adaptive) and as a dense-output
// stepper, to t = 10 and t = 100 at abs = rel = 1e-8; and the fixed-step runge_kutta4 ensemble (1,000 trajectories,
// (σ, ρ) from SplitMix64 seed 42, dt = 0.001, 1,000 steps) of the C# benchmarks. State: std::array<double, 3>.
// Note the error test differs from ours and CVODES's: odeint takes the max norm of err / (atol + rtol·(|x| + dt·|dx/dt|)),
// where we take the RMS norm of err / (atol + rtol·max(|x|, |x_new|)); and its first step is given (0.01), not chosen.
// Usage: odeint_lorenz [quick|once]     prints RESULT lines (see peer_common.h).
//        odeint_lorenz least [N]          prints LEAST lines instead: the controlled dopri5 to t = 10 and t = 100, the least of
//                                         N single solves (default 300) after a second's warm-up, for a loaded machine where
//                                         medians move with the load (compare with OdeGen.AbCompare's least-of-N).
#include <array>
#include <boost/numeric/odeint.hpp>
#include <cstring>
#include <string>
#include <vector>
#include "peer_common.h"

// run-peers.sh also builds this file with -fno-tree-vectorize and IMPL_SUFFIX="_novec": at -O3 -march=native GCC
// vectorizes the RK4 ensemble across trajectories (one per SIMD lane), which per-trajectory loops cannot do.
#ifndef IMPL_SUFFIX
#define IMPL_SUFFIX ""
#endif

namespace odeint = boost::numeric::odeint;
using state = std::array<double, 3>;

static long g_calls = 0;   // right-hand-side calls of the last measured run (counting costs one increment per call)

struct lorenz
{
    double sigma, rho, beta;
    void operator()(const state& y, state& d, double /*t*/) const
    {
        ++g_calls;
        d[0] = sigma * (y[1] - y[0]);
        d[1] = y[0] * (rho - y[2]) - y[1];
        d[2] = y[0] * y[1] - beta * y[2];
    }
};

struct counter
{
    long* steps;
    void operator()(const state&, double) const { ++*steps; }
};

struct solve_args { double t1; bool dense; state y; long steps; };

static double solve_once(void* c)
{
    auto* a = static_cast<solve_args*>(c);
    state y = {1, 1, 1};
    lorenz f{LORENZ_SIGMA, LORENZ_RHO, LORENZ_BETA};
    a->steps = 0;
    if (a->dense)
        odeint::integrate_adaptive(odeint::make_dense_output(TOL, TOL, odeint::runge_kutta_dopri5<state>()), f, y, 0.0, a->t1, 0.01, counter{&a->steps});
    else
        odeint::integrate_adaptive(odeint::make_controlled(TOL, TOL, odeint::runge_kutta_dopri5<state>()), f, y, 0.0, a->t1, 0.01, counter{&a->steps});
    a->y = y;
    return y[0];
}

static void run_solve(double t1, bool dense, const char* kase)
{
    solve_args a{t1, dense, {}, 0};
    g_calls = 0;
    solve_once(&a);
    long calls = g_calls;
    long steps = a.steps - 1;   // the observer also sees the initial state
    state y = a.y;
    double us = median_us(solve_once, &a);
    std::string impl = std::string(dense ? "odeint_dopri5_dense" : "odeint_dopri5_controlled") + IMPL_SUFFIX;
    print_result(kase, impl.c_str(), us, steps, calls, y.data(), 3);
}

static std::vector<double> g_params;

static double ensemble_once(void*)
{
    odeint::runge_kutta4<state> stepper;
    double sum = 0;
    for (int j = 0; j < ENSEMBLE_SIZE; j++)
    {
        lorenz f{g_params[3 * j], g_params[3 * j + 1], g_params[3 * j + 2]};
        state y = {1, 1, 1};
        for (int s = 0; s < ENSEMBLE_STEPS; s++) stepper.do_step(f, y, s * ENSEMBLE_DT, ENSEMBLE_DT);
        sum += y[0] + y[1] + y[2];
    }
    return sum;
}

// The least of n single solves (µs), after a second of warm-up.
static double least_us(solve_args* a, int n)
{
    double start = now_us();
    while (now_us() - start < 1e6) solve_once(a);
    double best = 1e300;
    for (int i = 0; i < n; i++)
    {
        double t0 = now_us();
        peer_sink = solve_once(a);
        double dt = now_us() - t0;
        if (dt < best) best = dt;
    }
    return best;
}

int main(int argc, char** argv)
{
    if (argc > 1 && std::strcmp(argv[1], "least") == 0)
    {
        int n = argc > 2 ? std::atoi(argv[2]) : 300;
        for (double t1 : {10.0, 100.0})
        {
            solve_args a{t1, false, {}, 0};
            solve_once(&a);
            long steps = a.steps - 1;
            double us = least_us(&a, n);
            std::printf("LEAST solve%g odeint_dopri5_controlled%s %.3f us %ld steps %.1f ns/step (least of %d)\n", t1, IMPL_SUFFIX, us, steps, 1e3 * us / steps, n);
        }
        return 0;
    }
    for (int i = 1; i < argc; i++)
    {
        if (std::strcmp(argv[i], "quick") == 0) peer_quick = 1;
        else if (std::strcmp(argv[i], "once") == 0) peer_once = 1;
    }
    run_solve(10.0, false, "solve10");
    run_solve(10.0, true, "solve10");
    run_solve(100.0, false, "solve100");
    run_solve(100.0, true, "solve100");

    g_params.resize(3 * ENSEMBLE_SIZE);
    ensemble_parameters(g_params.data(), ENSEMBLE_SIZE);
    g_calls = 0;
    double sum = ensemble_once(nullptr);
    long calls = g_calls;
    double us = median_us(ensemble_once, nullptr);
    print_result("rk4ens", (std::string("odeint_rk4") + IMPL_SUFFIX).c_str(), us, (long)ENSEMBLE_SIZE * ENSEMBLE_STEPS, calls, &sum, 1);
    return 0;
}
