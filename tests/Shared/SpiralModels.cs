namespace OdeGen.Testing;

// The spiral demo's model, shared by the tests and the benchmarks (both compile this file), in its two generated forms.

/// <summary>
/// The spiral model, f(y) = W2·tanh(W1·y³ + b1) + b2 with 50 hidden units, as an [OdeDynamics] loop method (as in
/// samples/Spiral): the generated twin of TanhMlpSystem(2, 50, Cube). Layout W1 [50][2], b1, W2 [2][50], b2 (PyTorch's).
/// </summary>
public static partial class SpiralModel
{
    private const int In = 2, Hidden = 50, Out = 2;
    private const int W1 = 0, B1 = W1 + Hidden * In, W2 = B1 + Hidden, B2 = W2 + Out * Hidden;

    [OdeDynamics(States = 2, Parameters = 252)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        Span<double> h = stackalloc double[Hidden];
        for (int i = 0; i < Hidden; i++)
        {
            double s = p[B1 + i];
            for (int j = 0; j < In; j++)
            {
                s += p[W1 + i * In + j] * (y[j] * y[j] * y[j]);
            }

            h[i] = Math.Tanh(s);
        }

        for (int k = 0; k < Out; k++)
        {
            double o = p[B2 + k];
            for (int i = 0; i < Hidden; i++)
            {
                o += p[W2 + k * Hidden + i] * h[i];
            }

            dydt[k] = o;
        }
    }
}

/// <summary>
/// <see cref="SpiralModel"/> generated with <c>VectorizeLoops = true</c> (tanh from the vector kernel, sums lane by lane):
/// the configuration of the benchmarks' fastest per-sample adjoint rows (the user's opt-in, not a change to the model),
/// held to torchdiffeq's numbers like the others.
/// </summary>
public static partial class SpiralModelVectorized
{
    private const int In = 2, Hidden = 50, Out = 2;
    private const int W1 = 0, B1 = W1 + Hidden * In, W2 = B1 + Hidden, B2 = W2 + Out * Hidden;

    [OdeDynamics(States = 2, Parameters = 252, VectorizeLoops = true)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        Span<double> h = stackalloc double[Hidden];
        for (int i = 0; i < Hidden; i++)
        {
            double s = p[B1 + i];
            for (int j = 0; j < In; j++)
            {
                s += p[W1 + i * In + j] * (y[j] * y[j] * y[j]);
            }

            h[i] = Math.Tanh(s);
        }

        for (int k = 0; k < Out; k++)
        {
            double o = p[B2 + k];
            for (int i = 0; i < Hidden; i++)
            {
                o += p[W2 + k * Hidden + i] * h[i];
            }

            dydt[k] = o;
        }
    }
}
