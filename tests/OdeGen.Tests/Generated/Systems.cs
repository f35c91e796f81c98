namespace OdeGen.Tests.Generated;

/// <summary>Damped pendulum with a periodic drive: θ'' = -(g/L)·sin θ - c·θ' + A·cos(ω t).</summary>
public static partial class Pendulum
{
    private const double G = 9.81;

    [OdeDynamics]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        double length = p[0], damping = p[1], drive = p[2], omega = p[3];
        dydt[0] = y[1];
        dydt[1] = -(G / length) * Math.Sin(y[0]);
        dydt[1] -= damping * y[1];
        dydt[1] += drive * Math.Cos(omega * t);
    }
}

/// <summary>Exponential decay declared with a larger parameter vector than it reads.</summary>
public partial struct Decay
{
    [OdeDynamics(States = 2, Parameters = 2)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = -p[0] * y[0];
    }
}

/// <summary>Logistic growth with Allee-style smooth saturation, nested in a partial class.</summary>
public partial class Ecology
{
    public static partial class Logistic
    {
        [OdeDynamics]
        public static void Growth(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
        {
            var r = p[0];
            var k = p[1];
            dydt[0] = r * y[0] * (1 - y[0] / k) * Math.Tanh(y[0]);
        }
    }
}

/// <summary>y' = p0·y², which blows up at t = 1/(p0·y0): the fused steps' failing lane.</summary>
public static partial class BlowUp
{
    [OdeDynamics]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = p[0] * y[0] * y[0];
    }
}

/// <summary>A damped oscillator driven by a polynomial in t: x'' = −k·x − c·x' + a·t·(1 − t). Depends on t through exact arithmetic only.</summary>
public static partial class Forced
{
    [OdeDynamics]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = y[1];
        dydt[1] = -p[0] * y[0] - p[1] * y[1] + p[2] * t * (1 - t);
    }
}

/// <summary>A ball in free fall, y = [h, v], θ = [g, e] (e, the restitution, enters only through the bounce reset).</summary>
public static partial class Ball
{
    [OdeDynamics(States = 2, Parameters = 2)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = y[1];
        dydt[1] = -p[0];
    }
}
