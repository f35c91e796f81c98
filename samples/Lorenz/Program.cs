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

// (c) The gradient of L = y0(T) + y1(T) + y2(T): two adjoints, forward sensitivity, finite differences.
Console.WriteLine("(c) Gradient of L = y0(T) + y1(T) + y2(T)");
double[] dLdy = [1, 1, 1];
OdeGradient backsolve = Ode.Gradient(lorenz, y0, p, 0, [T], dLdy, Sensitivity.BacksolveAdjoint, tight);
OdeGradient interpolating = Ode.Gradient(lorenz, y0, p, 0, [T], dLdy, Sensitivity.InterpolatingAdjoint(), tight);
OdeGradient forward = Ode.Gradient(lorenz, y0, p, 0, [T], dLdy, Sensitivity.Forward, tight);
foreach (var g in new[] { backsolve, interpolating, forward })
    if (!g.IsSuccess) throw new InvalidOperationException($"{g.Sensitivity} failed: {g.Status}");
double[] fd = FiniteDifferenceGradient();
string[] names = ["dL/dy0[0]", "dL/dy0[1]", "dL/dy0[2]", "dL/dσ", "dL/dρ", "dL/dβ", "dL/dT"];
double[][] columns = [Flatten(backsolve), Flatten(interpolating), Flatten(forward), fd];
string[] headers = ["adjoint (backsolve)", "adjoint (checkpointed)", "forward sensitivity", "finite differences"];
Console.WriteLine($"    {"",-10}" + string.Concat(headers.Select(h => $" {h,23}")));
for (int i = 0; i < names.Length; i++)
    Console.WriteLine($"    {names[i],-10}" + string.Concat(columns.Select(c => $" {c[i],23:R}")));
Console.WriteLine("    worst relative difference to finite differences (to forward sensitivity):");
double worst = 0;
for (int c = 0; c < 3; c++)
{
    double toFd = WorstRelDiff(columns[c], fd), toForward = WorstRelDiff(columns[c], columns[2]);
    worst = Math.Max(worst, toFd);
    Console.WriteLine($"      {headers[c],-23} {toFd:E2} ({(c == 2 ? "—" : toForward.ToString("E2"))})");
}
Console.WriteLine($"    every column agrees with finite differences to {worst:E2} relative, component by component.");
Console.WriteLine($"    backsolve:     {backsolve.Stats}");
Console.WriteLine($"    checkpointed:  {interpolating.Stats}");
Console.WriteLine($"    forward:       {forward.Stats}");
Console.WriteLine();

WriteFiles();
// Six significant digits: the sample fails loudly if a column drifts further than that.
return worst < 5e-6 ? 0 : 1;

void PrintJvp(string label, double[] y0Dot, double[] pDot)
{
    OdeTangent jvp = Ode.Jvp(lorenz, y0, p, 0, T, y0Dot, pDot, options: tight);
    const double h = 1e-3;
    double[] m2 = SolveNudged(y0Dot, pDot, -2 * h, 0), m1 = SolveNudged(y0Dot, pDot, -h, 0);
    double[] p1 = SolveNudged(y0Dot, pDot, h, 0), p2 = SolveNudged(y0Dot, pDot, 2 * h, 0);
    var fdTangent = new double[3];
    for (int i = 0; i < 3; i++) fdTangent[i] = (m2[i] - 8 * m1[i] + 8 * p1[i] - p2[i]) / (12 * h);
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

// Fourth-order central differences (five-point stencil): Lorenz's third time derivative is large, so the
// plain three-point formula's h² error would show in the sixth digit of dL/dT.
double[] FiniteDifferenceGradient()
{
    const double h = 1e-3;
    var result = new double[7];
    for (int k = 0; k < 7; k++)
    {
        var e = new double[6];
        double dT = k == 6 ? 1 : 0;
        if (k < 6) e[k] = 1;
        double Loss(double step) => SolveNudged(e[..3], e[3..], step, step * dT).Sum();
        result[k] = (Loss(-2 * h) - 8 * Loss(-h) + 8 * Loss(h) - Loss(2 * h)) / (12 * h);
    }
    return result;
}

static double[] Flatten(OdeGradient g) => [.. g.Y0, .. g.Parameters, g.Times[0]];

static double WorstRelDiff(double[] a, double[] b) => a.Zip(b, RelDiff).Max();

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
