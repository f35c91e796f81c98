namespace OdeGen.Neural;

/// <summary>How a <see cref="TanhMlpSystem"/> transforms the state before its first layer.</summary>
public enum MlpInput
{
    /// <summary>The state itself.</summary>
    Identity,

    /// <summary>The state cubed component-wise, y³ (the spiral demo's model).</summary>
    Cube,
}

/// <summary>
/// A one-hidden-layer tanh network as ODE dynamics, written out by hand:
/// f(t, y) = W2·tanh(W1·u(y) + b1) + b2 with u(y) = y or y³ (<see cref="MlpInput"/>), autonomous.
/// Parameters, in order (see <see cref="CreateLayout"/>): W1 [hidden][n], b1 [hidden], W2 [n][hidden], b2 [n],
/// each row-major, which is PyTorch's <c>Linear</c> layout [out][in].
/// </summary>
/// <remarks>
/// The same model written as an <c>[OdeDynamics]</c> method with loops gets a generated struct with the same
/// parameter layout; the trainer is generic over the system type, so either one drops in. This one keeps the
/// hidden size a runtime value. Scratch for the hidden layer lives on the stack up to 256 units.
/// </remarks>
public readonly struct TanhMlpSystem : IOdeSystem
{
    private const int StackLimit = 256;

    /// <summary>Creates the network for <paramref name="states"/> states and <paramref name="hidden"/> hidden units.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public TanhMlpSystem(int states, int hidden, MlpInput input = MlpInput.Identity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(states);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        if (!Enum.IsDefined(input)) throw new ArgumentOutOfRangeException(nameof(input), input, "Not an MlpInput.");
        // In long: 2·hidden·states wrapped around in int (65536 states × 32768 hidden gave ParameterCount 98304).
        long parameters = (2L * hidden * states) + hidden + states;
        if (parameters > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(hidden), $"{states} states and {hidden} hidden units make {parameters} parameters, more than an array holds.");
        StateCount = states;
        Hidden = hidden;
        Input = input;
    }

    /// <inheritdoc/>
    public int StateCount { get; }

    /// <summary>Number of hidden units.</summary>
    public int Hidden { get; }

    /// <summary>The input transform.</summary>
    public MlpInput Input { get; }

    /// <inheritdoc/>
    public int ParameterCount => 2 * Hidden * StateCount + Hidden + StateCount;

    private int B1 => Hidden * StateCount;

    private int W2 => B1 + Hidden;

    private int B2 => W2 + StateCount * Hidden;

    /// <summary>The named slices "W1", "b1", "W2", "b2" of this network's parameter vector.</summary>
    public ParameterLayout CreateLayout()
    {
        var layout = new ParameterLayout();
        layout.AddMatrix("W1", Hidden, StateCount);
        layout.AddVector("b1", Hidden);
        layout.AddMatrix("W2", StateCount, Hidden);
        layout.AddVector("b2", StateCount);
        return layout;
    }

    /// <inheritdoc/>
    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        y = Sized(y, "y");
        p = SizedParameters(p, "p");
        dydt = Sized(dydt, "dydt");
        Span<double> h = Hidden <= StackLimit ? stackalloc double[Hidden] : new double[Hidden];
        HiddenLayer(y, p, h);
        OutputLayer(p, h, dydt);
    }

    /// <inheritdoc/>
    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot,
        ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        y = Sized(y, "y");
        p = SizedParameters(p, "p");
        yDot = Sized(yDot, "yDot");
        pDot = SizedParameters(pDot, "pDot");
        dydt = Sized(dydt, "dydt");
        dydtDot = Sized(dydtDot, "dydtDot");
        int n = StateCount, hidden = Hidden;
        Span<double> h = hidden <= StackLimit ? stackalloc double[hidden] : new double[hidden];
        Span<double> hDot = hidden <= StackLimit ? stackalloc double[hidden] : new double[hidden];
        for (int i = 0; i < hidden; i++)
        {
            // s = b1 + Σ W1·u;  ṡ = ḃ1 + Σ (Ẇ1·u + W1·u̇).
            double s = p[B1 + i], sDot = pDot[B1 + i];
            int row = i * n;
            for (int j = 0; j < n; j++)
            {
                double u = InputOf(y[j]), uDot = InputSlope(y[j]) * yDot[j];
                s += p[row + j] * u;
                sDot += pDot[row + j] * u + p[row + j] * uDot;
            }
            h[i] = Math.Tanh(s);
            hDot[i] = (1 - h[i] * h[i]) * sDot;
        }
        for (int k = 0; k < n; k++)
        {
            double o = p[B2 + k], oDot = pDot[B2 + k];
            int row = W2 + k * hidden;
            for (int i = 0; i < hidden; i++)
            {
                o += p[row + i] * h[i];
                oDot += pDot[row + i] * h[i] + p[row + i] * hDot[i];
            }
            dydt[k] = o;
            dydtDot[k] = oDot;
        }
    }

    /// <inheritdoc/>
    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        y = Sized(y, "y");
        p = SizedParameters(p, "p");
        a = Sized(a, "a");
        yBar = Sized(yBar, "yBar");
        pBar = SizedParameters(pBar, "pBar");
        int n = StateCount, hidden = Hidden;
        Span<double> h = hidden <= StackLimit ? stackalloc double[hidden] : new double[hidden];
        HiddenLayer(y, p, h);
        for (int k = 0; k < n; k++) pBar[B2 + k] += a[k];
        for (int i = 0; i < hidden; i++)
        {
            // h̄ = Σ_k a_k·W2[k][i];  W̄2[k][i] += a_k·h_i;  s̄ = h̄·(1 − h²).
            double hBar = 0;
            for (int k = 0; k < n; k++)
            {
                int index = W2 + k * hidden + i;
                hBar += a[k] * p[index];
                pBar[index] += a[k] * h[i];
            }
            double sBar = hBar * (1 - h[i] * h[i]);
            pBar[B1 + i] += sBar;
            int row = i * n;
            for (int j = 0; j < n; j++)
            {
                pBar[row + j] += sBar * InputOf(y[j]);
                yBar[j] += sBar * p[row + j] * InputSlope(y[j]);
            }
        }
        return 0.0; // autonomous
    }

    /// <inheritdoc/>
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        y = Sized(y, "y");
        p = SizedParameters(p, "p");
        int n = StateCount, hidden = Hidden, m = ParameterCount;
        dfdy = GeneratedSpans.Sized(dfdy, n * n, "dfdy", "StateCount²");
        dfdp = GeneratedSpans.Sized(dfdp, n * m, "dfdp", "StateCount × ParameterCount");
        Span<double> h = hidden <= StackLimit ? stackalloc double[hidden] : new double[hidden];
        HiddenLayer(y, p, h);
        dfdy[..(n * n)].Clear();
        dfdp[..(n * m)].Clear();
        for (int k = 0; k < n; k++)
        {
            Span<double> rowY = dfdy.Slice(k * n, n), rowP = dfdp.Slice(k * m, m);
            rowP[B2 + k] = 1.0;
            for (int i = 0; i < hidden; i++)
            {
                double w2 = p[W2 + k * hidden + i], g = w2 * (1 - h[i] * h[i]);
                rowP[W2 + k * hidden + i] = h[i];
                rowP[B1 + i] = g;
                for (int j = 0; j < n; j++)
                {
                    rowP[i * n + j] = g * InputOf(y[j]);
                    rowY[j] += g * p[i * n + j] * InputSlope(y[j]);
                }
            }
        }
    }

    // The spans cut to the system's sizes, as generated systems cut theirs (GeneratedSpans): a short one fails by name before
    // anything is written (it threw IndexOutOfRangeException part-way through), and the JIT knows the lengths.
    private ReadOnlySpan<double> Sized(ReadOnlySpan<double> span, string name) => GeneratedSpans.Sized(span, StateCount, name, "StateCount");

    private Span<double> Sized(Span<double> span, string name) => GeneratedSpans.Sized(span, StateCount, name, "StateCount");

    private ReadOnlySpan<double> SizedParameters(ReadOnlySpan<double> span, string name) => GeneratedSpans.Sized(span, ParameterCount, name, "ParameterCount");

    private Span<double> SizedParameters(Span<double> span, string name) => GeneratedSpans.Sized(span, ParameterCount, name, "ParameterCount");

    private void HiddenLayer(ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> h)
    {
        int n = StateCount;
        for (int i = 0; i < Hidden; i++)
        {
            double s = p[B1 + i];
            int row = i * n;
            for (int j = 0; j < n; j++) s += p[row + j] * InputOf(y[j]);
            h[i] = Math.Tanh(s);
        }
    }

    private void OutputLayer(ReadOnlySpan<double> p, ReadOnlySpan<double> h, Span<double> dydt)
    {
        for (int k = 0; k < StateCount; k++)
        {
            double o = p[B2 + k];
            int row = W2 + k * Hidden;
            for (int i = 0; i < Hidden; i++) o += p[row + i] * h[i];
            dydt[k] = o;
        }
    }

    private double InputOf(double x) => Input == MlpInput.Cube ? x * x * x : x;

    private double InputSlope(double x) => Input == MlpInput.Cube ? 3 * x * x : 1.0;
}
