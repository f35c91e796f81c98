using System.ComponentModel;
using OdeGen.Solvers;

namespace OdeGen.Lanes;

/// <summary>
/// One fixed step of an explicit Runge–Kutta tableau of at most four stages, ready for <see cref="FusedFixedSteps"/>:
/// the step h (signed), the weights h·a_ij and h·b_i and the stage offsets c_i·h.
/// </summary>
// Public because generated code in the user's assembly implements or calls it; hidden from completion.
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class FusedStepPlan
{
    /// <summary>The largest number of stages a fused step has.</summary>
    public const int MaxStages = 4;

    private readonly double[] _a, _b, _offsets;

    private FusedStepPlan(ButcherTableau tableau, double h)
    {
        int s = tableau.Stages;
        Stages = s;
        H = h;
        _a = new double[MaxStages * MaxStages];
        _b = new double[MaxStages];
        _offsets = new double[MaxStages];
        bool chain = true;
        for (int i = 0; i < s; i++)
        {
            _b[i] = h * tableau.B[i];
            _offsets[i] = tableau.C[i] * h;
            for (int j = 0; j < i; j++)
            {
                double a = tableau.A[i * s + j];
                _a[i * MaxStages + j] = h * a;
                chain &= j == i - 1 || a == 0;
            }
        }

        Chain = chain;
    }

    // A plan that carries a whole adaptive run instead of fixed steps (FusedAdaptiveSteps): the generated FusedFixedSteps
    // is how the runtime reaches the system's register type for any lane width.
    private FusedStepPlan(object adaptiveRun)
    {
        _a = _b = _offsets = [];
        AdaptiveRun = adaptiveRun;
    }

    /// <summary>The <see cref="FusedAdaptiveRun{TLane}"/> this plan hands to the register form, or null for fixed steps.</summary>
    internal object? AdaptiveRun { get; }

    /// <summary>A plan that makes <see cref="IOdeFusedLaneSystem.FusedFixedSteps"/> run <paramref name="run"/> to its end.</summary>
    internal static FusedStepPlan ForAdaptiveRun<TLane>(FusedAdaptiveRun<TLane> run) where TLane : unmanaged, ILane<TLane> => new(run);

    /// <summary>Number of stages (1 to 4).</summary>
    public int Stages { get; }

    /// <summary>True when stage i reads stage i − 1 only (a_ij = 0 for j &lt; i − 1), as in the classic RK4.</summary>
    public bool Chain { get; }

    /// <summary>The signed step.</summary>
    public double H { get; }

    /// <summary>h·a_ij (0 above the diagonal and beyond the stages).</summary>
    public double A(int i, int j) => _a[i * MaxStages + j];

    /// <summary>h·b_i.</summary>
    public double B(int i) => _b[i];

    /// <summary>c_i·h: stage i of a step that starts at t is evaluated at t + c_i·h.</summary>
    public double Offset(int i) => _offsets[i];

    /// <summary>The plan for <paramref name="tableau"/>, or null when it cannot be fused: more than four stages, or first-same-as-last.</summary>
    public static FusedStepPlan? For(ButcherTableau tableau, double h) =>
        tableau.Stages <= MaxStages && !tableau.IsFsal ? new FusedStepPlan(tableau, h) : null;
}
