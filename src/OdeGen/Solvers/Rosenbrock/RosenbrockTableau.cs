namespace OdeGen.Solvers;

/// <summary>
/// A Rosenbrock (linearly implicit Runge–Kutta) method as data, in the W-transformed form of Hairer &amp; Wanner
/// (Solving ODEs II, IV.7, (7.25)) that avoids matrix–vector products with the Jacobian J. Stage i solves
/// <code>(I/(hγ) − J)·U_i = F(t + α_i h, y + Σ_{j&lt;i} a_ij U_j) + Σ_{j&lt;i} (c_ij/h)·U_j + h·d_i·∂F/∂t</code>
/// and the step is y + Σ m_i U_i, with error estimate Σ e_i U_i. The dense output of the step is
/// y(θ) = (1 − θ)·y0 + θ·(y1 + (1 − θ)·(Σ h1_j U_j + θ·Σ h2_j U_j)) (Hairer's RODAS form).
/// </summary>
public sealed class RosenbrockTableau
{
    /// <summary>Creates a tableau; <paramref name="a"/> and <paramref name="c"/> are strictly lower triangular (row i holds columns 0..i−1).</summary>
    public RosenbrockTableau(string name, int order, int embeddedOrder, int denseOrder, double gamma,
        double[][] a, double[][] c, double[] alpha, double[] d, double[] m, double[] errorWeights, double[] dense1, double[] dense2)
    {
        Name = name;
        Order = order;
        EmbeddedOrder = embeddedOrder;
        DenseOrder = denseOrder;
        Gamma = gamma;
        Stages = m.Length;
        A = Flatten(a, Stages, name);
        C = Flatten(c, Stages, name);
        Alpha = alpha;
        D = d;
        M = m;
        ErrorWeights = errorWeights;
        Dense1 = dense1;
        Dense2 = dense2;
        foreach (var v in new[] { alpha, d, errorWeights, dense1, dense2 })
            if (v.Length != Stages) throw new ArgumentException($"{name}: every coefficient vector needs {Stages} entries.");
        if (!(gamma > 0)) throw new ArgumentException($"{name}: γ must be positive.");
    }

    /// <summary>Display name.</summary>
    public string Name { get; }
    /// <summary>Order of the propagated solution.</summary>
    public int Order { get; }
    /// <summary>Order of the embedded solution.</summary>
    public int EmbeddedOrder { get; }
    /// <summary>Order of the dense output.</summary>
    public int DenseOrder { get; }
    /// <summary>The diagonal coefficient γ (the same for every stage).</summary>
    public double Gamma { get; }
    /// <summary>Number of stages (linear solves per step).</summary>
    public int Stages { get; }
    /// <summary>a_ij, row-major s×s, strictly lower triangular.</summary>
    public double[] A { get; }
    /// <summary>c_ij, row-major s×s, strictly lower triangular.</summary>
    public double[] C { get; }
    /// <summary>α_i: stage i evaluates F at t + α_i h.</summary>
    public double[] Alpha { get; }
    /// <summary>d_i: coefficient of h·∂F/∂t in stage i (γ_i = Σ_j γ_ij of the untransformed method).</summary>
    public double[] D { get; }
    /// <summary>m_i: the step is y + Σ m_i U_i.</summary>
    public double[] M { get; }
    /// <summary>e_i: the local error estimate is Σ e_i U_i.</summary>
    public double[] ErrorWeights { get; }
    /// <summary>First dense-output combination of the stages (see the class summary).</summary>
    public double[] Dense1 { get; }
    /// <summary>Second dense-output combination of the stages (see the class summary).</summary>
    public double[] Dense2 { get; }

    private static double[] Flatten(double[][] rows, int s, string name)
    {
        if (rows.Length != s) throw new ArgumentException($"{name}: expected {s} rows.");
        var flat = new double[s * s];
        for (int i = 0; i < s; i++)
        {
            if (rows[i].Length != i) throw new ArgumentException($"{name}: row {i} must have {i} entries (strictly lower triangular).");
            for (int j = 0; j < i; j++) flat[i * s + j] = rows[i][j];
        }
        return flat;
    }
}

/// <summary>The built-in Rosenbrock methods' coefficients.</summary>
public static class RosenbrockTableaux
{
    /// <summary>
    /// RODAS4 (Hairer &amp; Wanner, Solving ODEs II, IV.7, Table 7.2; their code rodas.f): six stages, order 4 with an
    /// embedded order-3 solution, L-stable and stiffly accurate (the last two stages are evaluated at the new point,
    /// so the error estimate is the last stage U_6), third-order dense output. γ = 1/4.
    /// </summary>
    public static RosenbrockTableau Rodas4 { get; } = new(
        "Rodas4", order: 4, embeddedOrder: 3, denseOrder: 3, gamma: 0.25,
        a:
        [
            [],
            [1.544],
            [0.9466785280815826, 0.2557011698983284],
            [3.314825187068521, 2.896124015972201, 0.9986419139977817],
            [1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950],
            [1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950, 1.0],
        ],
        c:
        [
            [],
            [-5.6688],
            [-2.430093356833875, -0.2063599157091915],
            [-0.1073529058151375, -9.594562251023355, -20.47028614809616],
            [7.496443313967647, -10.24680431464352, -33.99990352819905, 11.70890893206160],
            [8.083246795921522, -7.981132988064893, -31.52159432874371, 16.31930543123136, -6.058818238834054],
        ],
        alpha: [0, 0.386, 0.21, 0.63, 1, 1],
        d: [0.25, -0.1043, 0.1035, -0.03620000000000023, 0, 0],
        // Stiffly accurate: y1 = (stage-6 argument) + U_6, and the embedded solution is the stage-6 argument.
        m: [1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950, 1.0, 1.0],
        errorWeights: [0, 0, 0, 0, 0, 1.0],
        dense1: [10.12623508344586, -7.487995877610167, -34.80091861555747, -7.992771707568823, 1.025137723295662, 0],
        dense2: [-0.6762803392801253, 6.087714651680015, 16.43084320892478, 24.76722511418386, -6.594389125716872, 0]);
}
