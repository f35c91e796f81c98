using System.Reflection;
using OdeGen.Generators.Model;

namespace OdeGen.Generators.Tests.Pipeline;

/// <summary>The pipeline's model is a value: nothing in it refers to Roslyn's compilation objects.</summary>
public class ModelTests
{
    [Fact]
    public void PipelineModels_ReachNoRoslynType()
    {
        var seen = new HashSet<Type>();
        var pending = new Stack<Type>(new[] { typeof(SystemModel), typeof(SystemIr), typeof(GeneratedFile) });
        while (pending.Count > 0)
        {
            Type type = pending.Pop();
            if (!seen.Add(type) || type.IsPrimitive || type.IsEnum || type == typeof(string))
            {
                continue;
            }

            Assert.False(type.Assembly.GetName().Name!.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal), $"model reaches {type}");
            foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                pending.Push(field.FieldType.IsArray ? field.FieldType.GetElementType()! : field.FieldType);
                foreach (Type argument in field.FieldType.GetGenericArguments())
                {
                    pending.Push(argument);
                }
            }
        }

        Assert.Contains(typeof(Ir.Instr), seen);   // the walk really reached the IR
    }

    [Fact]
    public void EqualModels_CompareEqual_SoTheDriverCanCache()
    {
        var a = new Ir.IrFunction(new EquatableArray<Ir.Instr>(new[] { new Ir.Instr(Ir.Op.Const, -1, -1, -1, 1.5, Ir.Fn.None, Ir.Slot.None, 0, 0, Ir.Phase.Primal, null) }), EquatableArray<string>.Empty, 0);
        var b = new Ir.IrFunction(new EquatableArray<Ir.Instr>(new[] { new Ir.Instr(Ir.Op.Const, -1, -1, -1, 1.5, Ir.Fn.None, Ir.Slot.None, 0, 0, Ir.Phase.Primal, null) }), EquatableArray<string>.Empty, 0);
        var c = b with { UserStatements = 1 };
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
    }
}
