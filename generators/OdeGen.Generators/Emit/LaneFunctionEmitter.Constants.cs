using System.Collections.Generic;
using System.Linq;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Emit;

/// <summary>Broadcast literals: which are hoisted to the top of a lane method, their names and their text.</summary>
internal sealed partial class LaneFunctionEmitter
{
    /// <summary>
    /// Literals used more than once or inside a loop become locals broadcast once at the top (0 is TLane.Zero);
    /// the lane forms of Sign, CopySign and the Min/Max slopes read 1, -1 and the sign bit.
    /// </summary>
    private void HoistConstants(IrFunction function)
    {
        var uses = new Dictionary<long, int>();
        void Use(double value, int times)
        {
            long bits = System.BitConverter.DoubleToInt64Bits(value);
            if (bits != 0)
            {
                uses[bits] = (uses.TryGetValue(bits, out int n) ? n : 0) + times;
                _hoistedValues[bits] = value;
            }
        }

        // A vectorized loop's body is all inside its loop.
        int loops = _loop is null ? 0 : 1;
        for (int i = _from; i < _to; i++)
        {
            Instr x = function.Body[i];
            loops += x.Op == Op.For ? 1 : x.Op == Op.EndFor ? -1 : 0;
            if (x.IsExtern)
            {
                continue;   // extern arguments are printed as scalar literals
            }

            for (int k = 0; k < x.Arity; k++)
            {
                Instr operand = function.Body[x.Operand(k)];
                if (operand.Op == Op.Const)
                {
                    Use(operand.Value, loops > 0 ? 2 : 1);
                }
            }

            if (x.Op == Op.Call)
            {
                switch (x.Fn)
                {
                    case Fn.Sign:
                        Use(1, 2);
                        Use(-1, 2);
                        break;
                    case Fn.CopySign:
                        Use(-0.0, 2);
                        break;
                    case Fn.LessOrEqualIndicator:
                        Use(1, 2);
                        break;
                    case Fn.Truncate:
                        Use(int.MinValue, 2);
                        Use(int.MaxValue, 2);
                        break;
                }
            }
        }

        foreach (KeyValuePair<long, int> use in uses.OrderBy(u => _hoistedValues[u.Key]))
        {
            if (use.Value >= 2)
            {
                _hoisted[use.Key] = LocalNames.Unique(_taken, ConstantName(_hoistedValues[use.Key]));
            }
        }
    }

    /// <summary>A readable local name for a literal: c0_5 for 0.5 (or 0.5f), cm1 for -1, c1em10 for 1E-10, signBit for -0.</summary>
    private string ConstantName(double value)
    {
        if (value == 0)
        {
            return "signBit";
        }

        string text = _number.Literal(value).Replace(_number.Real + ".", string.Empty).TrimEnd('f');
        if (text.EndsWith(".0", System.StringComparison.Ordinal))
        {
            text = text.Substring(0, text.Length - 2);
        }

        var sb = new System.Text.StringBuilder("c");
        foreach (char ch in text)
        {
            sb.Append(ch switch { '-' => "m", '.' => "_", 'E' or 'e' => "e", '+' => string.Empty, _ => ch.ToString() });
        }

        return sb.ToString();
    }

    /// <summary>A broadcast literal: TLane.Zero, a hoisted local, or TLane.Create(…) where it is used once.</summary>
    private string Constant(double value)
    {
        long bits = System.BitConverter.DoubleToInt64Bits(value);
        if (bits == 0)
        {
            return "TLane.Zero";
        }

        if (_hoisted.TryGetValue(bits, out string? name))
        {
            _hoistedUsed.Add(bits);
            return name;
        }

        return $"TLane.Create({_number.Literal(value)})";
    }
}
