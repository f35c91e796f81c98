namespace OdeGen.Generators.Ir;

/// <summary>Facts about known functions that the parser, differentiator and emitter share.</summary>
internal static class FnInfo
{
    /// <summary>Number of arguments.</summary>
    public static int Arity(Fn fn) => fn switch
    {
        Fn.Pow or Fn.Atan2 or Fn.Min or Fn.Max or Fn.CopySign or Fn.LessOrEqualIndicator => 2,
        Fn.FusedMultiplyAdd or Fn.Clamp => 3,
        _ => 1,
    };

    /// <summary>True for functions with kinks, which get a warning: the derivative takes one side.</summary>
    public static bool IsNonSmooth(Fn fn) => fn is Fn.Abs or Fn.Min or Fn.Max or Fn.Clamp or Fn.Sign or Fn.CopySign or Fn.Truncate;

    /// <summary>Maps a System.Math method name that users may call to its function.</summary>
    public static Fn FromMathName(string name) => name switch
    {
        "Sin" => Fn.Sin,
        "Cos" => Fn.Cos,
        "Tan" => Fn.Tan,
        "Exp" => Fn.Exp,
        "Log" => Fn.Log,
        "Log10" => Fn.Log10,
        "Sqrt" => Fn.Sqrt,
        "Cbrt" => Fn.Cbrt,
        "Pow" => Fn.Pow,
        "Tanh" => Fn.Tanh,
        "Sinh" => Fn.Sinh,
        "Cosh" => Fn.Cosh,
        "Atan" => Fn.Atan,
        "Asin" => Fn.Asin,
        "Acos" => Fn.Acos,
        "Atan2" => Fn.Atan2,
        "Abs" => Fn.Abs,
        "Min" => Fn.Min,
        "Max" => Fn.Max,
        "FusedMultiplyAdd" => Fn.FusedMultiplyAdd,
        "Clamp" => Fn.Clamp,
        "Sign" => Fn.Sign,
        "CopySign" => Fn.CopySign,
        _ => Fn.None,
    };
}
