// The seeds' worked example: the Lorenz system, its solution, the JVP of the solution and the
// gradient of a loss on it, each computed two ways and checked against finite differences.
using System.Globalization;
using System.Text;
using OdeGen;
using OdeGen.Samples;
using OdeGen.Samples.Lorenz;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string outDir = args.Length > 0 ? args[0] : Directory.GetCurrentDirectory();

var lorenz = new Lorenz.RhsSystem();
double[] y0 = [1, 1, 1];
double[] p = [10, 28, 8.0 / 3];                      // σ, ρ, β
const double T = 1.0;
var tight = new SolverOptions { RelTol = 1e-10, AbsTol = 1e-10 };
// Finite differences need a much tighter solve than the derivatives they check: the solver's error
// divided by the difference step must stay far below the 6 digits we compare.
var reference = new SolverOptions { RelTol = 1e-13, AbsTol = 1e-13 };

Console.WriteLine("OdeGen — Lorenz (σ = 10, ρ = 28, β = 8/3, y0 = (1, 1, 1)), Dopri5, rtol = atol = 1e-10");
Console.WriteLine();

// (a) The solution at T.
OdeSolution solution = Ode.Solve(lorenz, y0, p, 0, T, tight).EnsureSuccess();
Console.WriteLine($"(a) y(T = {T}) = {Vector(solution.FinalState)}");
Console.WriteLine($"    {solution.Stats}");
Console.WriteLine();

// (b) JVPs: the tangent of y(T) for a nudge of the third state and for a nudge of σ.
Console.WriteLine("(b) JVP of y(T) (forward sensitivity along the solution) beside central finite differences");
PrintJvp("nudge of y0[2]", y0Dot: [0, 0, 1], pDot: [0, 0, 0]);
PrintJvp("nudge of σ    ", y0Dot: [0, 0, 0], pDot: [1, 0, 0]);
Console.WriteLine();

// (c) The gradient of L = y0(T) + y1(T) + y2(T) three ways.
Console.WriteLine("(c) Gradient of L = y0(T) + y1(T) + y2(T)");
double[] dLdy = [1, 1, 1];
OdeGradient adjoint = Ode.Gradient(lorenz, y0, p, 0, [T], dLdy, Sensitivity.BacksolveAdjoint, tight);
OdeGradient forward = Ode.Gradient(lorenz, y0, p, 0, [T], dLdy, Sensitivity.Forward, tight);
if (!adjoint.IsSuccess || !forward.IsSuccess) throw new InvalidOperationException($"gradient failed: {adjoint.Status}, {forward.Status}");
double[] fd = FiniteDifferenceGradient();
Console.WriteLine($"    {"",-10} {"adjoint",22} {"forward sensitivity",22} {"finite differences",22}   max rel. diff");
string[] names = ["dL/dy0[0]", "dL/dy0[1]", "dL/dy0[2]", "dL/dσ", "dL/dρ", "dL/dβ", "dL/dT"];
double[] adj = [.. adjoint.Y0, .. adjoint.Parameters, adjoint.Times[0]];
double[] fwd = [.. forward.Y0, .. forward.Parameters, forward.Times[0]];
double worst = 0;
for (int i = 0; i < names.Length; i++)
{
    double diff = Math.Max(RelDiff(adj[i], fd[i]), Math.Max(RelDiff(fwd[i], fd[i]), RelDiff(adj[i], fwd[i])));
    worst = Math.Max(worst, diff);
    Console.WriteLine($"    {names[i],-10} {adj[i],22:R} {fwd[i],22:R} {fd[i],22:R}   {diff:E1}");
}
Console.WriteLine($"    agreement: {-Math.Log10(Math.Max(worst, 1e-17)):F1} significant digits (worst relative difference {worst:E2})");
Console.WriteLine($"    adjoint: {adjoint.Stats}");
Console.WriteLine($"    forward: {forward.Stats}");
Console.WriteLine();

WriteFiles();
return worst < 1e-6 ? 0 : 1;

void PrintJvp(string label, double[] y0Dot, double[] pDot)
{
    OdeTangent jvp = Ode.Jvp(lorenz, y0, p, 0, T, y0Dot, pDot, options: tight);
    double h = 1e-4;
    double[] plus = SolveNudged(y0Dot, pDot, h, 0), minus = SolveNudged(y0Dot, pDot, -h, 0);
    var fdTangent = new double[3];
    for (int i = 0; i < 3; i++) fdTangent[i] = (plus[i] - minus[i]) / (2 * h);
    Console.WriteLine($"    {label}  JVP {Vector(jvp.Tangent)}");
    Console.WriteLine($"    {"",14}  FD  {Vector(fdTangent)}");
}

double[] SolveNudged(double[] y0Dot, double[] pDot, double h, double dT)
{
    var y = new double[3];
    var q = new double[3];
    for (int i = 0; i < 3; i++) { y[i] = y0[i] + h * y0Dot[i]; q[i] = p[i] + h * pDot[i]; }
    return Ode.Solve(lorenz, y, q, 0, T + dT, reference).EnsureSuccess().FinalState.ToArray();
}

double[] FiniteDifferenceGradient()
{
    var result = new double[7];
    for (int k = 0; k < 7; k++)
    {
        double[] e = new double[6];
        double dT = 0;
        if (k < 6) e[k] = 1;
        double h = 1e-4;
        if (k == 6) { dT = h; }
        double Loss(double sign) => SolveNudged(e[..3], e[3..], sign * h, sign * dT).Sum();
        result[k] = (Loss(+1) - Loss(-1)) / (2 * h);
    }
    return result;
}

void WriteFiles()
{
    // The butterfly: a long trajectory sampled densely, written as CSV and drawn in the x–z plane.
    const double longT = 30;
    double[] grid = Enumerable.Range(0, 6001).Select(i => i * longT / 6000).ToArray();
    var trajectory = Ode.Solve(lorenz, y0, p, 0, longT, new SolverOptions { RelTol = 1e-10, AbsTol = 1e-10, SaveAt = grid }).EnsureSuccess();
    var csv = new StringBuilder("t,x,y,z\n");
    var xs = new double[trajectory.Count];
    var zs = new double[trajectory.Count];
    for (int i = 0; i < trajectory.Count; i++)
    {
        var s = trajectory.State(i);
        xs[i] = s[0];
        zs[i] = s[2];
        csv.Append(CultureInfo.InvariantCulture, $"{trajectory.Times[i]:R},{s[0]:R},{s[1]:R},{s[2]:R}\n");
    }
    string csvPath = Path.Combine(outDir, "lorenz.csv");
    File.WriteAllText(csvPath, csv.ToString());

    // The JVP components over time for the two nudges of (b).
    double[] tGrid = Enumerable.Range(0, 401).Select(i => i * 2.0 / 400).ToArray();
    var plot = new SvgPlot("Lorenz: σ = 10, ρ = 28, β = 8/3, y0 = (1, 1, 1)", columns: 3);
    plot.AddPanel($"Butterfly, t ∈ [0, {longT}]", "x", "z").Line("(x, z)", xs, zs);
    AddTangentPanel(plot, "JVP for a nudge of y0[2]", tGrid, [0, 0, 1], [0, 0, 0]);
    AddTangentPanel(plot, "JVP for a nudge of σ", tGrid, [0, 0, 0], [1, 0, 0]);
    string svgPath = Path.Combine(outDir, "lorenz.svg");
    plot.Save(svgPath);
    Console.WriteLine($"Wrote {csvPath} ({trajectory.Count} rows) and {svgPath}.");
}

void AddTangentPanel(SvgPlot plot, string title, double[] tGrid, double[] y0Dot, double[] pDot)
{
    var options = new SolverOptions { RelTol = 1e-10, AbsTol = 1e-10, SaveAt = tGrid };
    OdeTangent jvp = Ode.Jvp(lorenz, y0, p, 0, tGrid[^1], y0Dot, pDot, options: options);
    var panel = plot.AddPanel(title, "t", "∂y(t) / ∂nudge");
    string[] labels = ["∂x", "∂y", "∂z"];
    for (int c = 0; c < 3; c++)
    {
        panel.Line(labels[c], tGrid, Enumerable.Range(0, tGrid.Length).Select(i => jvp.TangentAt(i)[c]).ToArray());
    }
}

static string Vector(ReadOnlySpan<double> v)
{
    var parts = new string[v.Length];
    for (int i = 0; i < v.Length; i++) parts[i] = v[i].ToString("F10", CultureInfo.InvariantCulture).PadLeft(16);
    return "(" + string.Join(", ", parts) + ")";
}

static double RelDiff(double a, double b) => Math.Abs(a - b) / Math.Max(Math.Max(Math.Abs(a), Math.Abs(b)), 1e-300);
