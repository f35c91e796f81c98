/* The OdeGen Lorenz sample as a native library (samples/Embedded, published with NativeAOT).
 * dy/dt = f(t, y, p) with y = (x, y, z) and p = (sigma, rho, beta): 3 states, 3 parameters.
 * Every pointer is the caller's array of the size given; the library keeps none of them.
 * Return values: 0 success; a positive OdeStatus when a solve stopped early (1 MaxStepsExceeded,
 * 2 StepSizeTooSmall, 3 NonFiniteValue; the outputs are then NaN or the last state); -1 invalid argument. */
#ifndef ODEGEN_LORENZ_H
#define ODEGEN_LORENZ_H

#ifdef __cplusplus
extern "C" {
#endif

#define ODEGEN_LORENZ_STATES 3
#define ODEGEN_LORENZ_PARAMETERS 3
#define ODEGEN_INVALID_ARGUMENT (-1)

/* dydt[3] = f(t, y[3], p[3]) */
int odegen_lorenz_evaluate(double t, const double *y, const double *p, double *dydt);

/* dydt[3] = f; dydt_dot[3] = df/dt * t_dot + df/dy . y_dot[3] + df/dp . p_dot[3] */
int odegen_lorenz_jvp(double t, const double *y, const double *p, double t_dot, const double *y_dot,
                      const double *p_dot, double *dydt, double *dydt_dot);

/* y_bar[3] += a^T df/dy;  p_bar[3] += a^T df/dp;  *t_bar = a^T df/dt  (y_bar and p_bar accumulate) */
int odegen_lorenz_vjp(double t, const double *y, const double *p, const double *a, double *y_bar,
                      double *p_bar, double *t_bar);

/* y1[3] = y(t1) from y(t0) = y0[3], Dopri5 with the given tolerances */
int odegen_lorenz_solve(const double *y0, const double *p, double t0, double t1, double rel_tol,
                        double abs_tol, double *y1);

/* g_y0[3] = dL/dy0, g_p[3] = dL/dp for a loss L(y(t1)) with dL/dy(t1) = dl_dy[3] (adjoint method) */
int odegen_lorenz_gradient(const double *y0, const double *p, double t0, double t1, const double *dl_dy,
                           double rel_tol, double abs_tol, double *g_y0, double *g_p);

#ifdef __cplusplus
}
#endif

#endif
