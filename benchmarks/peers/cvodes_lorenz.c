/* Lorenz with SUNDIALS CVODES (6.x): forward solve to t = 10 and t = 100, forward sensitivities at T = 1, and the
 * adjoint gradient at T = 1 and T = 10 with CVodeB and hand-written adjoint right-hand sides; L = y0(T) + y1(T) + y2(T),
 * gradients with respect to y(0) and (σ, ρ, β). rtol = atol = 1e-8 everywhere (sensitivities and adjoint quadratures
 * in the error test, as in our defaults). Adams–Moulton (the non-stiff choice) with Newton iteration and a dense
 * linear solver fed the analytic Jacobian; the forward solves also with fixed-point iteration (no Jacobian). Each solve reuses its CVODES memory through the ReInit functions, which
 * is how CVODES is meant to be used for repeated solves and its fastest path.
 * Usage: cvodes_lorenz [quick|once] [only CASE]    prints RESULT lines (see peer_common.h); once: no timing. */
#include <cvodes/cvodes.h>
#include <nvector/nvector_serial.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunnonlinsol/sunnonlinsol_fixedpoint.h>
#include <sunmatrix/sunmatrix_dense.h>
#include "peer_common.h"

static const double P[3] = {LORENZ_SIGMA, LORENZ_RHO, LORENZ_BETA};

static int rhs(realtype t, N_Vector yv, N_Vector dv, void* ud)
{
    const double* y = N_VGetArrayPointer(yv);
    double* d = N_VGetArrayPointer(dv);
    d[0] = P[0] * (y[1] - y[0]);
    d[1] = y[0] * (P[1] - y[2]) - y[1];
    d[2] = y[0] * y[1] - P[2] * y[2];
    return 0;
}

static int jac(realtype t, N_Vector yv, N_Vector fy, SUNMatrix J, void* ud, N_Vector t1, N_Vector t2, N_Vector t3)
{
    const double* y = N_VGetArrayPointer(yv);
    SM_ELEMENT_D(J, 0, 0) = -P[0]; SM_ELEMENT_D(J, 0, 1) = P[0];  SM_ELEMENT_D(J, 0, 2) = 0;
    SM_ELEMENT_D(J, 1, 0) = P[1] - y[2]; SM_ELEMENT_D(J, 1, 1) = -1; SM_ELEMENT_D(J, 1, 2) = -y[0];
    SM_ELEMENT_D(J, 2, 0) = y[1]; SM_ELEMENT_D(J, 2, 1) = y[0]; SM_ELEMENT_D(J, 2, 2) = -P[2];
    return 0;
}

/* Sensitivities s_i, i = 0..5: i < 3 with respect to y0[i] (s_i(0) = e_i), i >= 3 with respect to p[i-3]:
 * s_i' = J s_i + ∂f/∂p_{i-3}. */
static int rhs_sens(int ns, realtype t, N_Vector yv, N_Vector ydot, N_Vector* yS, N_Vector* ySdot, void* ud, N_Vector t1, N_Vector t2)
{
    const double* y = N_VGetArrayPointer(yv);
    for (int i = 0; i < ns; i++)
    {
        const double* s = N_VGetArrayPointer(yS[i]);
        double* d = N_VGetArrayPointer(ySdot[i]);
        d[0] = P[0] * (s[1] - s[0]);
        d[1] = (P[1] - y[2]) * s[0] - s[1] - y[0] * s[2];
        d[2] = y[1] * s[0] + y[0] * s[1] - P[2] * s[2];
        if (i == 3) d[0] += y[1] - y[0];
        if (i == 4) d[1] += y[0];
        if (i == 5) d[2] -= y[2];
    }
    return 0;
}

/* Adjoint λ' = −Jᵀλ, λ(T) = ∂L/∂y(T) = (1, 1, 1); quadrature q' = −λᵀ ∂f/∂p, q(T) = 0, so that integrating backwards
 * to t0 gives q(t0) = ∫ λᵀ ∂f/∂p dt = dL/dp; and dL/dy0 = λ(t0). */
static int rhs_adj(realtype t, N_Vector yv, N_Vector lv, N_Vector dv, void* ud)
{
    const double* y = N_VGetArrayPointer(yv);
    const double* l = N_VGetArrayPointer(lv);
    double* d = N_VGetArrayPointer(dv);
    d[0] = P[0] * l[0] - (P[1] - y[2]) * l[1] - y[1] * l[2];
    d[1] = -P[0] * l[0] + l[1] - y[0] * l[2];
    d[2] = y[0] * l[1] + P[2] * l[2];
    return 0;
}

static int jac_adj(realtype t, N_Vector yv, N_Vector lv, N_Vector fl, SUNMatrix J, void* ud, N_Vector t1, N_Vector t2, N_Vector t3)
{
    const double* y = N_VGetArrayPointer(yv);
    /* −Jᵀ */
    SM_ELEMENT_D(J, 0, 0) = P[0];  SM_ELEMENT_D(J, 0, 1) = -(P[1] - y[2]); SM_ELEMENT_D(J, 0, 2) = -y[1];
    SM_ELEMENT_D(J, 1, 0) = -P[0]; SM_ELEMENT_D(J, 1, 1) = 1;              SM_ELEMENT_D(J, 1, 2) = -y[0];
    SM_ELEMENT_D(J, 2, 0) = 0;     SM_ELEMENT_D(J, 2, 1) = y[0];           SM_ELEMENT_D(J, 2, 2) = P[2];
    return 0;
}

static int rhs_quad(realtype t, N_Vector yv, N_Vector lv, N_Vector qv, void* ud)
{
    const double* y = N_VGetArrayPointer(yv);
    const double* l = N_VGetArrayPointer(lv);
    double* q = N_VGetArrayPointer(qv);
    q[0] = -l[0] * (y[1] - y[0]);
    q[1] = -l[1] * y[0];
    q[2] = l[2] * y[2];
    return 0;
}

#define CHECK(call) do { int flag_ = (call); if (flag_ < 0) { fprintf(stderr, "%s failed: %d (line %d)\n", #call, flag_, __LINE__); exit(1); } } while (0)

typedef struct
{
    SUNContext ctx;
    void* mem;
    N_Vector y, yB, qB, *yS;
    SUNMatrix A, AB;
    SUNLinearSolver LS, LSB;
    SUNNonlinearSolver NLS;
    double t1;
    int which;
} problem;

static void set_initial(N_Vector y) { double* v = N_VGetArrayPointer(y); v[0] = v[1] = v[2] = 1; }

static void setup_solver(problem* pr, int max_steps, int fixed_point)
{
    pr->y = N_VNew_Serial(3, pr->ctx);
    set_initial(pr->y);
    pr->mem = CVodeCreate(CV_ADAMS, pr->ctx);
    CHECK(CVodeInit(pr->mem, rhs, 0.0, pr->y));
    CHECK(CVodeSStolerances(pr->mem, TOL, TOL));
    CHECK(CVodeSetMaxNumSteps(pr->mem, max_steps));
    if (fixed_point)
    {
        /* Adams with fixed-point (functional) iteration: no Jacobian, no linear solves. */
        pr->NLS = SUNNonlinSol_FixedPoint(pr->y, 0, pr->ctx);
        CHECK(CVodeSetNonlinearSolver(pr->mem, pr->NLS));
        return;
    }
    pr->A = SUNDenseMatrix(3, 3, pr->ctx);
    pr->LS = SUNLinSol_Dense(pr->y, pr->A, pr->ctx);
    CHECK(CVodeSetLinearSolver(pr->mem, pr->LS, pr->A));
    CHECK(CVodeSetJacFn(pr->mem, jac));
}

static void free_solver(problem* pr)
{
    CVodeFree(&pr->mem);
    if (pr->LS) SUNLinSolFree(pr->LS);
    if (pr->A) SUNMatDestroy(pr->A);
    if (pr->NLS) SUNNonlinSolFree(pr->NLS);
    N_VDestroy(pr->y);
}

/* ---- forward solve ---- */
static double solve_once(void* c)
{
    problem* pr = c;
    realtype t;
    set_initial(pr->y);
    CHECK(CVodeReInit(pr->mem, 0.0, pr->y));
    CHECK(CVodeSetStopTime(pr->mem, pr->t1));
    CHECK(CVode(pr->mem, pr->t1, pr->y, &t, CV_NORMAL));
    return N_VGetArrayPointer(pr->y)[0];
}

static void run_solve(SUNContext ctx, double t1, const char* kase, int fixed_point)
{
    problem pr = {0};
    pr.ctx = ctx;
    pr.t1 = t1;
    setup_solver(&pr, 1000000, fixed_point);
    solve_once(&pr);
    long steps, nfe, nje, nfeLS;
    CHECK(CVodeGetNumSteps(pr.mem, &steps));
    CHECK(CVodeGetNumRhsEvals(pr.mem, &nfe));
    nje = nfeLS = 0;
    if (!fixed_point)
    {
        CHECK(CVodeGetNumJacEvals(pr.mem, &nje));
        CHECK(CVodeGetNumLinRhsEvals(pr.mem, &nfeLS));
    }
    double y[3];
    memcpy(y, N_VGetArrayPointer(pr.y), sizeof y);
    double us = median_us(solve_once, &pr);
    print_result(kase, fixed_point ? "cvodes_fixedpoint" : "cvodes", us, steps, nfe + nfeLS + nje, y, 3);
    free_solver(&pr);
}

/* ---- forward sensitivities ---- */
static void set_sens_initial(N_Vector* yS)
{
    for (int i = 0; i < 6; i++)
    {
        double* s = N_VGetArrayPointer(yS[i]);
        s[0] = s[1] = s[2] = 0;
        if (i < 3) s[i] = 1;
    }
}

static double fsa_once(void* c)
{
    problem* pr = c;
    realtype t;
    set_initial(pr->y);
    set_sens_initial(pr->yS);
    CHECK(CVodeReInit(pr->mem, 0.0, pr->y));
    CHECK(CVodeSensReInit(pr->mem, CV_STAGGERED, pr->yS));
    CHECK(CVodeSetStopTime(pr->mem, pr->t1));
    CHECK(CVode(pr->mem, pr->t1, pr->y, &t, CV_NORMAL));
    CHECK(CVodeGetSens(pr->mem, &t, pr->yS));
    return N_VGetArrayPointer(pr->yS[0])[0];
}

static void run_fsa(SUNContext ctx)
{
    problem pr = {0};
    pr.ctx = ctx;
    pr.t1 = 1.0;
    setup_solver(&pr, 1000000, 0);
    pr.yS = N_VCloneVectorArray(6, pr.y);
    set_sens_initial(pr.yS);
    CHECK(CVodeSensInit(pr.mem, 6, CV_STAGGERED, rhs_sens, pr.yS));
    double atolS[6] = {TOL, TOL, TOL, TOL, TOL, TOL};
    CHECK(CVodeSensSStolerances(pr.mem, TOL, atolS));
    CHECK(CVodeSetSensErrCon(pr.mem, SUNTRUE));
    fsa_once(&pr);
    long steps, nfe, nfSe, nje, nfeLS;
    CHECK(CVodeGetNumSteps(pr.mem, &steps));
    CHECK(CVodeGetNumRhsEvals(pr.mem, &nfe));
    CHECK(CVodeGetSensNumRhsEvals(pr.mem, &nfSe));
    CHECK(CVodeGetNumJacEvals(pr.mem, &nje));
    CHECK(CVodeGetNumLinRhsEvals(pr.mem, &nfeLS));
    double g[6];
    for (int i = 0; i < 6; i++)
    {
        const double* s = N_VGetArrayPointer(pr.yS[i]);
        g[i] = s[0] + s[1] + s[2];
    }
    double us = median_us(fsa_once, &pr);
    /* calls: f evaluations plus sensitivity right-hand sides (each one a J·s product, like our Jacobian calls) */
    print_result("fsens1", "cvodes_fsa", us, steps, nfe + nfeLS + nje + nfSe / 6, g, 6);
    N_VDestroyVectorArray(pr.yS, 6);
    free_solver(&pr);
}

/* ---- adjoint ---- */
static void set_adj_final(problem* pr)
{
    double* l = N_VGetArrayPointer(pr->yB);
    l[0] = l[1] = l[2] = 1;
    N_VConst(0.0, pr->qB);
}

static double asa_once(void* c)
{
    problem* pr = c;
    realtype t;
    int ncheck;
    set_initial(pr->y);
    CHECK(CVodeReInit(pr->mem, 0.0, pr->y));
    CHECK(CVodeAdjReInit(pr->mem));
    CHECK(CVodeSetStopTime(pr->mem, pr->t1));
    CHECK(CVodeF(pr->mem, pr->t1, pr->y, &t, CV_NORMAL, &ncheck));
    set_adj_final(pr);
    CHECK(CVodeReInitB(pr->mem, pr->which, pr->t1, pr->yB));
    CHECK(CVodeQuadReInitB(pr->mem, pr->which, pr->qB));
    CHECK(CVodeB(pr->mem, 0.0, CV_NORMAL));
    CHECK(CVodeGetB(pr->mem, pr->which, &t, pr->yB));
    CHECK(CVodeGetQuadB(pr->mem, pr->which, &t, pr->qB));
    return N_VGetArrayPointer(pr->yB)[0];
}

static void run_asa(SUNContext ctx, double t1, const char* name)
{
    problem pr = {0};
    pr.ctx = ctx;
    pr.t1 = t1;
    setup_solver(&pr, 1000000, 0);
    CHECK(CVodeAdjInit(pr.mem, 100, CV_HERMITE));   /* a checkpoint every 100 steps, Hermite interpolation */
    realtype t;
    int ncheck;
    CHECK(CVodeSetStopTime(pr.mem, pr.t1));
    CHECK(CVodeF(pr.mem, pr.t1, pr.y, &t, CV_NORMAL, &ncheck));
    pr.yB = N_VNew_Serial(3, ctx);
    pr.qB = N_VNew_Serial(3, ctx);
    set_adj_final(&pr);
    CHECK(CVodeCreateB(pr.mem, CV_ADAMS, &pr.which));
    CHECK(CVodeInitB(pr.mem, pr.which, rhs_adj, pr.t1, pr.yB));
    CHECK(CVodeSStolerancesB(pr.mem, pr.which, TOL, TOL));
    pr.AB = SUNDenseMatrix(3, 3, ctx);
    pr.LSB = SUNLinSol_Dense(pr.yB, pr.AB, ctx);
    CHECK(CVodeSetLinearSolverB(pr.mem, pr.which, pr.LSB, pr.AB));
    CHECK(CVodeSetJacFnB(pr.mem, pr.which, jac_adj));
    CHECK(CVodeSetMaxNumStepsB(pr.mem, pr.which, 1000000));
    CHECK(CVodeQuadInitB(pr.mem, pr.which, rhs_quad, pr.qB));
    CHECK(CVodeQuadSStolerancesB(pr.mem, pr.which, TOL, TOL));
    CHECK(CVodeSetQuadErrConB(pr.mem, pr.which, SUNTRUE));
    CHECK(CVodeB(pr.mem, 0.0, CV_NORMAL));
    asa_once(&pr); /* the same path as the timed calls */

    void* memB = CVodeGetAdjCVodeBmem(pr.mem, pr.which);
    long steps, nfe, nfeLS, nje, stepsB, nfeB, nfeLSB, njeB, nfQB;
    CHECK(CVodeGetNumSteps(pr.mem, &steps));
    CHECK(CVodeGetNumRhsEvals(pr.mem, &nfe));
    CHECK(CVodeGetNumLinRhsEvals(pr.mem, &nfeLS));
    CHECK(CVodeGetNumJacEvals(pr.mem, &nje));
    CHECK(CVodeGetNumSteps(memB, &stepsB));
    CHECK(CVodeGetNumRhsEvals(memB, &nfeB));
    CHECK(CVodeGetNumLinRhsEvals(memB, &nfeLSB));
    CHECK(CVodeGetNumJacEvals(memB, &njeB));
    CHECK(CVodeGetQuadNumRhsEvals(memB, &nfQB));
    double g[6];
    memcpy(g, N_VGetArrayPointer(pr.yB), 3 * sizeof(double));
    memcpy(g + 3, N_VGetArrayPointer(pr.qB), 3 * sizeof(double));
    double us = median_us(asa_once, &pr);
    /* CVODES counters are cumulative over ReInit only for some fields; report those of the last gradient */
    print_result(name, "cvodes_asa", us, steps + stepsB, nfe + nfeLS + nje + nfeB + nfeLSB + njeB + nfQB, g, 6);
    N_VDestroy(pr.yB);
    N_VDestroy(pr.qB);
    SUNLinSolFree(pr.LSB);
    SUNMatDestroy(pr.AB);
    free_solver(&pr);
}

int main(int argc, char** argv)
{
    const char* only = NULL;
    for (int i = 1; i < argc; i++)
    {
        if (strcmp(argv[i], "quick") == 0) peer_quick = 1;
        else if (strcmp(argv[i], "once") == 0) peer_once = 1;
        else if (strcmp(argv[i], "only") == 0 && i + 1 < argc) only = argv[++i];
    }
    SUNContext ctx;
    CHECK(SUNContext_Create(NULL, &ctx));
    for (int fp = 0; fp < 2; fp++)
    {
        if (!only || strcmp(only, "solve10") == 0) run_solve(ctx, 10.0, "solve10", fp);
        if (!only || strcmp(only, "solve100") == 0) run_solve(ctx, 100.0, "solve100", fp);
    }
    if (!only || strcmp(only, "fsens1") == 0) run_fsa(ctx);
    if (!only || strcmp(only, "adjoint1") == 0) run_asa(ctx, 1.0, "adjoint1");
    if (!only || strcmp(only, "adjoint10") == 0) run_asa(ctx, 10.0, "adjoint10");
    SUNContext_Free(&ctx);
    return 0;
}
