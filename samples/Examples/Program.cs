// The seeds' small examples: each solves an ODE, differentiates the answer with respect to its parameters
// by the adjoint method, and prints both beside the closed form.
using System.Globalization;
using OdeGen;
using OdeGen.Samples.Examples;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var options = new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12 };
double worst = 0;

// 1. Newton's law of cooling: a cup at 90 °C in a 20 °C room, k = 0.1 per minute; T(10) and dT(10)/dk.
{
    const double k = 0.1, ambient = 20, t0Temp = 90, t = 10;
    OdeGradient g = Ode.Gradient(new Cooling.RhsSystem(), [t0Temp], [k, ambient], 0, [t], [1.0], Sensitivity.InterpolatingAdjoint(), options).EnsureSuccess();
    double closed = ambient + (t0Temp - ambient) * Math.Exp(-k * t);
    double closedDk = -t * (t0Temp - ambient) * Math.Exp(-k * t);
    Console.WriteLine("Newton's law of cooling, dT/dt = −k(T − 20), T(0) = 90, k = 0.1:");
    Row("T(10)", g.States[0], closed);
    Row("dT(10)/dk", g.Parameters[0], closedDk);
    Console.WriteLine();
}

// 2. The rate law dA/dt = −k·Aⁿ with A(0) = 1, k = 0.5, n = 2.5: A(3), dA(3)/dk and dA(3)/dn.
{
    const double k = 0.5, n = 2.5, a0 = 1, t = 3;
    OdeGradient g = Ode.Gradient(new RateLaw.RhsSystem(), [a0], [k, n], 0, [t], [1.0], Sensitivity.InterpolatingAdjoint(), options).EnsureSuccess();
    // A(t) = u^{1/(1−n)} with u = A0^{1−n} + (n − 1)·k·t.
    double u = Math.Pow(a0, 1 - n) + (n - 1) * k * t;
    double closed = Math.Pow(u, 1 / (1 - n));
    double closedDk = -t * Math.Pow(u, n / (1 - n));
    double closedDn = closed * (Math.Log(u) / ((1 - n) * (1 - n)) + (-Math.Log(a0) * Math.Pow(a0, 1 - n) + k * t) / ((1 - n) * u));
    Console.WriteLine("Rate law dA/dt = −k·Aⁿ, A(0) = 1, k = 0.5, n = 2.5:");
    Row("A(3)", g.States[0], closed);
    Row("dA(3)/dk", g.Parameters[0], closedDk);
    Row("dA(3)/dn", g.Parameters[1], closedDn);
    Console.WriteLine();
}

// 3. The damped pendulum released from 0.001 rad, c = 0.3 /s, L = 1 m, g = 9.81 m/s²: the final angle θ(5) and its
//    gradient with respect to the damping and the length. At 0.001 rad sin θ ≈ θ to 2e-7 relative, so the linear
//    oscillator's closed form is the reference (its derivatives by central differences of the formula); the two
//    differ by O(θ0²), which grows over the five seconds of phase.
{
    const double c = 0.3, length = 1, gravity = 9.81, theta0 = 0.001, t = 5;
    OdeGradient g = Ode.Gradient(new Pendulum.RhsSystem(), [theta0, 0], [c, length, gravity], 0, [t], [1.0, 0], Sensitivity.InterpolatingAdjoint(), options).EnsureSuccess();
    static double Linear(double c, double length, double gravity, double theta0, double t)
    {
        double wd = Math.Sqrt(gravity / length - c * c / 4);
        return Math.Exp(-c * t / 2) * theta0 * (Math.Cos(wd * t) + c / (2 * wd) * Math.Sin(wd * t));
    }
    const double h = 1e-6;
    double closed = Linear(c, length, gravity, theta0, t);
    double closedDc = (Linear(c + h, length, gravity, theta0, t) - Linear(c - h, length, gravity, theta0, t)) / (2 * h);
    double closedDl = (Linear(c, length + h, gravity, theta0, t) - Linear(c, length - h, gravity, theta0, t)) / (2 * h);
    Console.WriteLine("Damped pendulum θ'' = −(g/L)·sin θ − c·θ', θ(0) = 0.001, c = 0.3, L = 1, g = 9.81 (closed form: small angles):");
    Row("θ(5)", g.States[0], closed, smallAngle: true);
    Row("dθ(5)/dc", g.Parameters[0], closedDc, smallAngle: true);
    Row("dθ(5)/dL", g.Parameters[1], closedDl, smallAngle: true);
    Console.WriteLine();
}

// The exact examples must agree to the solver's tolerance; the pendulum only to its small-angle error.
Console.WriteLine(FormattableString.Invariant($"examples: worst relative difference to the exact closed forms (cooling, rate law; the pendulum's is small-angle) {worst:E2}"));
return worst < 1e-6 ? 0 : 1;

void Row(string what, double computed, double closedForm, bool smallAngle = false)
{
    double relative = Math.Abs(computed - closedForm) / Math.Max(Math.Abs(closedForm), 1e-300);
    if (!smallAngle) worst = Math.Max(worst, relative);
    Console.WriteLine(FormattableString.Invariant($"  {what,-10} OdeGen {computed,22:R}   closed form {closedForm,22:R}   relative difference {relative:E1}"));
}
