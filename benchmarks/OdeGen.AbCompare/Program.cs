// Usage: dotnet run -c Release --project benchmarks/OdeGen.AbCompare -- <old build bin dir> <new build bin dir> <rounds> Type.Method[:Prop=Value,...] ...
// (each bin dir is a built benchmarks/OdeGen.Benchmarks/bin/Release/net10.0 of one commit). Complements compare-builds.sh on a
// loaded machine: both builds run in one process, interleaved, and the minimum per call is compared.
// A/B harness: loads two builds of OdeGen.Benchmarks in separate load contexts and times the same benchmark
// methods interleaved, reporting min-of-many per call (robust to a loaded machine).
using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;

string[] dirs = { args[0], args[1] };
int rounds = int.Parse(args[2]);
var specs = args.Skip(3).ToArray(); // Type.Method[:Prop=Value,...]
var results = new Dictionary<string, double[]>();
var calls = new List<(string key, int build, Func<object?> f)>();
for (int b = 0; b < 2; b++)
{
    var alc = new Ctx(dirs[b]);
    var asm = alc.LoadFromAssemblyPath(Path.Combine(dirs[b], "OdeGen.Benchmarks.dll"));
    foreach (var spec in specs)
    {
        var parts = spec.Split(':');
        string tm = parts[0];
        int dot = tm.LastIndexOf('.');
        var type = asm.GetTypes().First(t => t.Name == tm[..dot]);
        var obj = Activator.CreateInstance(type)!;
        if (parts.Length > 1)
            foreach (var kv in parts[1].Split(','))
            {
                var p = kv.Split('=');
                var prop = type.GetProperty(p[0])!;
                prop.SetValue(obj, Convert.ChangeType(p[1], prop.PropertyType, System.Globalization.CultureInfo.InvariantCulture));
            }
        foreach (var m in type.GetMethods().Where(m => m.GetCustomAttributes().Any(a => a.GetType().Name == "GlobalSetupAttribute")))
            try { m.Invoke(obj, null); } catch (TargetInvocationException) { }
        var mi = type.GetMethod(tm[(dot + 1)..])!;
        var del = (Func<object?>)(() => mi.Invoke(obj, null));
        // A typed delegate avoids reflection cost in the timed loop.
        Func<object?> fast;
        if (mi.ReturnType == typeof(double)) { var d = mi.CreateDelegate<Func<double>>(obj); fast = () => d(); }
        else if (mi.ReturnType == typeof(void)) { var d = mi.CreateDelegate<Action>(obj); fast = () => { d(); return null; }; }
        else { var d = (Delegate)mi.CreateDelegate(typeof(Func<>).MakeGenericType(mi.ReturnType), obj); fast = () => d.DynamicInvoke(); }
        calls.Add((spec, b, fast));
    }
}
// Warm up (tiering) then measure.
var sw = new Stopwatch();
foreach (var c in calls) { var t0 = Stopwatch.GetTimestamp(); while (Stopwatch.GetElapsedTime(t0).TotalMilliseconds < 1500) c.f(); }
var mins = calls.Select(_ => double.MaxValue).ToArray();
var all = calls.Select(_ => new List<double>()).ToArray();
for (int r = 0; r < rounds; r++)
    for (int i = 0; i < calls.Count; i++)
    {
        var t0 = Stopwatch.GetTimestamp();
        calls[i].f();
        double us = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        all[i].Add(us);
        if (us < mins[i]) mins[i] = us;
    }
Console.WriteLine($"{"benchmark",-60} {"old min",10} {"new min",10} {"new/old",8} {"p10 ratio",9}");
foreach (var spec in specs)
{
    int io = calls.FindIndex(c => c.key == spec && c.build == 0), inew = calls.FindIndex(c => c.key == spec && c.build == 1);
    double P(List<double> l) { var s = l.OrderBy(x => x).ToList(); return s[s.Count / 10]; }
    Console.WriteLine($"{spec,-60} {mins[io],10:F1} {mins[inew],10:F1} {mins[inew] / mins[io],8:F3} {P(all[inew]) / P(all[io]),9:F3}");
}

class Ctx(string dir) : AssemblyLoadContext(isCollectible: false)
{
    protected override Assembly? Load(AssemblyName name)
    {
        var path = Path.Combine(dir, name.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}
