using OdeGen.Implicit;
using OdeGen.Models;

namespace OdeGen.Samples.Deq;

/// <summary>One of the compared classifiers: its parameter count, its initial weights and a per-thread worker.</summary>
internal abstract class Network(string name)
{
    public const int Pixels = 784, Hidden = 100, Classes = 10;

    public string Name { get; } = name;

    public abstract int ParameterCount { get; }

    /// <summary>Doubles one sample keeps between its forward and backward pass (what backpropagation must store).</summary>
    public abstract long BackwardDoubles { get; }

    public abstract Worker CreateWorker();

    /// <summary>Glorot-uniform weights and zero biases for a dense block of p (outputs × inputs, then outputs), scaled.</summary>
    protected static void Dense(Span<double> p, int inputs, int outputs, Random random, double scale = 1)
    {
        double limit = scale * Math.Sqrt(6.0 / (inputs + outputs));
        for (int i = 0; i < inputs * outputs; i++) p[i] = limit * ((2 * random.NextDouble()) - 1);
        p.Slice(inputs * outputs, outputs).Clear();
    }

    public abstract void Initialize(Span<double> p, Random random);
}

/// <summary>Per-thread buffers of a network; a sample's loss, gradient and prediction.</summary>
internal abstract class Worker
{
    protected readonly Layers.AffineFunction Head = new(Network.Hidden, (Network.Classes * Network.Hidden) + Network.Classes, Network.Classes);
    protected readonly double[] Logits = new double[Network.Classes], LogitsBar = new double[Network.Classes], Target = new double[1];

    public long ForwardIterations, BackwardIterations, Unconverged;

    /// <summary>Loss of one sample; gradient += ∂loss/∂p.</summary>
    public abstract double Train(ReadOnlySpan<double> image, int label, ReadOnlySpan<double> p, Span<double> gradient, ulong noiseSeed);

    /// <summary>The predicted class.</summary>
    public int Predict(ReadOnlySpan<double> image, ReadOnlySpan<double> p)
    {
        Features(image, p);
        int best = 0;
        for (int c = 1; c < Network.Classes; c++)
        {
            if (Logits[c] > Logits[best]) best = c;
        }

        return best;
    }

    /// <summary>Runs the network up to the logits (into <see cref="Logits"/>).</summary>
    protected abstract void Features(ReadOnlySpan<double> image, ReadOnlySpan<double> p);

    /// <summary>Softmax cross-entropy of the logits against the label, ∂L/∂logits into <see cref="LogitsBar"/>.</summary>
    protected double Loss(int label)
    {
        Target[0] = label;
        return OdeGen.Models.Loss.SoftmaxCrossEntropy.Evaluate(Logits, Target, LogitsBar);
    }
}

/// <summary>784 → 100 tanh fixed-point layer → 10: z* = tanh(W_z·z* + U·x + b), differentiated implicitly.</summary>
internal sealed class EquilibriumNetwork(FixedPointOptions options, double jacobianWeight) : Network("implicit (DEQ)")
{
    public const int CellInputs = Hidden + Pixels, CellParameters = (Hidden * CellInputs) + Hidden;

    public FixedPointOptions Options { get; } = options;

    public override int ParameterCount => CellParameters + (Classes * Hidden) + Classes;

    // z* and the cell's input are all the backward pass needs, whatever the number of iterations.
    public override long BackwardDoubles => Hidden + CellInputs;

    public override void Initialize(Span<double> p, Random random)
    {
        // W_z small enough that the cell starts as a contraction; U and the head at Glorot scale.
        Dense(p[..CellParameters], CellInputs, Hidden, random);
        for (int o = 0; o < Hidden; o++)
        {
            for (int i = 0; i < Hidden; i++) p[(o * CellInputs) + i] *= 0.5;
        }

        Dense(p[CellParameters..], Hidden, Classes, random);
    }

    public override Worker CreateWorker() => new EquilibriumWorker(this, jacobianWeight);
}

internal sealed class EquilibriumWorker : Worker
{
    private readonly FixedPointLayer<Layers.DenseFunction> _layer;
    private readonly Layers.DenseFunction _cell = new(EquilibriumNetwork.CellInputs, EquilibriumNetwork.CellParameters, Network.Hidden);
    private readonly double _jacobianWeight;
    private readonly double[] _z = new double[Network.Hidden], _zBar = new double[Network.Hidden], _imageBar = new double[Network.Pixels];
    private readonly double[] _input = new double[EquilibriumNetwork.CellInputs], _inputBar = new double[EquilibriumNetwork.CellInputs];
    private readonly double[] _direction = new double[EquilibriumNetwork.CellInputs], _noise = new double[Network.Hidden];
    private readonly double[] _scratchP = new double[EquilibriumNetwork.CellParameters], _zeroP = new double[EquilibriumNetwork.CellParameters];

    public EquilibriumWorker(EquilibriumNetwork network, double jacobianWeight)
    {
        _layer = new FixedPointLayer<Layers.DenseFunction>(_cell, network.Options);
        _jacobianWeight = jacobianWeight;
    }

    /// <summary>The Hutchinson estimate ‖εᵀ∂f/∂z‖²/n of the last sample (when the regulariser is on).</summary>
    public double JacobianPenalty;

    protected override void Features(ReadOnlySpan<double> image, ReadOnlySpan<double> p)
    {
        Array.Clear(_z);
        FixedPointReport report = _layer.Forward(image, p[..EquilibriumNetwork.CellParameters], _z);
        ForwardIterations += report.Iterations;
        if (!report.IsConverged) Unconverged++;
        Head.Evaluate(_z, p[EquilibriumNetwork.CellParameters..], Logits);
    }

    public override double Train(ReadOnlySpan<double> image, int label, ReadOnlySpan<double> p, Span<double> gradient, ulong noiseSeed)
    {
        ReadOnlySpan<double> cellP = p[..EquilibriumNetwork.CellParameters];
        Span<double> cellBar = gradient[..EquilibriumNetwork.CellParameters];
        Features(image, p);
        double loss = Loss(label);
        Array.Clear(_zBar);
        Head.Vjp(_z, p[EquilibriumNetwork.CellParameters..], LogitsBar, _zBar, gradient[EquilibriumNetwork.CellParameters..]);
        if (_jacobianWeight > 0) loss += JacobianRegularizer(image, cellP, cellBar, noiseSeed);

        ImplicitBackwardReport backward = _layer.Backward(image, cellP, _z, _zBar, _imageBar, cellBar);
        BackwardIterations += backward.Iterations;
        // NotASolution: the forward solve above did not converge, and Features counted it already.
        if (!backward.IsConverged && backward.Status != FixedPointStatus.NotASolution) Unconverged++;
        return loss;
    }

    /// <summary>
    /// λ·‖εᵀ∂f/∂z‖²/n at z* with ε ~ N(0, I) (Hutchinson's estimate of the Frobenius norm). Its gradient by symmetry of
    /// the Hessian of εᵀf: with v = (∂f/∂z)ᵀε, ∇R = (2λ/n)·Hvp(yBar = ε, direction = [v; 0]); the z part joins ∂L/∂z*
    /// (the implicit backward carries it through the fixed point), the θ part goes straight into the gradient.
    /// </summary>
    private double JacobianRegularizer(ReadOnlySpan<double> image, ReadOnlySpan<double> cellP, Span<double> cellBar, ulong noiseSeed)
    {
        var noise = new SplitMix(noiseSeed);
        for (int i = 0; i < Network.Hidden; i++) _noise[i] = noise.Gaussian();
        _z.CopyTo(_input, 0);
        image.CopyTo(_input.AsSpan(Network.Hidden));
        Array.Clear(_inputBar);
        Array.Clear(_scratchP);
        _cell.Vjp(_input, cellP, _noise, _inputBar, _scratchP);
        double penalty = 0;
        for (int i = 0; i < Network.Hidden; i++) penalty += _inputBar[i] * _inputBar[i];
        penalty /= Network.Hidden;
        JacobianPenalty = penalty;

        double scale = 2 * _jacobianWeight / Network.Hidden;
        Array.Clear(_direction);
        for (int i = 0; i < Network.Hidden; i++) _direction[i] = scale * _inputBar[i];
        Array.Clear(_inputBar);
        _cell.Hvp(_input, cellP, _noise, _direction, _zeroP, _inputBar, cellBar);
        for (int i = 0; i < Network.Hidden; i++) _zBar[i] += _inputBar[i];
        return _jacobianWeight * penalty;
    }
}

/// <summary>The same cell applied K times from z = 0 (weight-tied), differentiated by backpropagation through every step.</summary>
internal sealed class UnrolledNetwork(int steps) : Network($"unrolled (K = {steps})")
{
    public int Steps { get; } = steps;

    public override int ParameterCount => EquilibriumNetwork.CellParameters + (Classes * Hidden) + Classes;

    public override long BackwardDoubles => (long)Steps * EquilibriumNetwork.CellInputs + Hidden;

    public override void Initialize(Span<double> p, Random random) => new EquilibriumNetwork(new FixedPointOptions(), 0).Initialize(p, random);

    public override Worker CreateWorker() => new UnrolledWorker(Steps);
}

internal sealed class UnrolledWorker(int steps) : Worker
{
    private readonly Layers.DenseFunction _cell = new(EquilibriumNetwork.CellInputs, EquilibriumNetwork.CellParameters, Network.Hidden);
    private readonly double[] _inputs = new double[steps * EquilibriumNetwork.CellInputs];
    private readonly double[] _z = new double[Network.Hidden], _u = new double[Network.Hidden], _inputBar = new double[EquilibriumNetwork.CellInputs];

    protected override void Features(ReadOnlySpan<double> image, ReadOnlySpan<double> p)
    {
        ReadOnlySpan<double> cellP = p[..EquilibriumNetwork.CellParameters];
        Array.Clear(_z);
        for (int k = 0; k < steps; k++)
        {
            Span<double> input = _inputs.AsSpan(k * EquilibriumNetwork.CellInputs, EquilibriumNetwork.CellInputs);
            _z.CopyTo(input);
            image.CopyTo(input[Network.Hidden..]);
            _cell.Evaluate(input, cellP, _z);
        }

        ForwardIterations += steps;
        Head.Evaluate(_z, p[EquilibriumNetwork.CellParameters..], Logits);
    }

    public override double Train(ReadOnlySpan<double> image, int label, ReadOnlySpan<double> p, Span<double> gradient, ulong noiseSeed)
    {
        Features(image, p);
        double loss = Loss(label);
        Array.Clear(_u);
        Head.Vjp(_z, p[EquilibriumNetwork.CellParameters..], LogitsBar, _u, gradient[EquilibriumNetwork.CellParameters..]);
        ReadOnlySpan<double> cellP = p[..EquilibriumNetwork.CellParameters];
        Span<double> cellBar = gradient[..EquilibriumNetwork.CellParameters];
        for (int k = steps - 1; k >= 0; k--)
        {
            Array.Clear(_inputBar);
            _cell.Vjp(_inputs.AsSpan(k * EquilibriumNetwork.CellInputs, EquilibriumNetwork.CellInputs), cellP, _u, _inputBar, cellBar);
            _inputBar.AsSpan(0, Network.Hidden).CopyTo(_u);
        }

        BackwardIterations += steps;
        return loss;
    }
}

/// <summary>An explicit network of the same size: 784 → 100 tanh → 100 tanh → 10.</summary>
internal sealed class ExplicitNetwork() : Network("explicit (2 layers)")
{
    public const int First = (Hidden * Pixels) + Hidden, Second = (Hidden * Hidden) + Hidden;

    public override int ParameterCount => First + Second + (Classes * Hidden) + Classes;

    public override long BackwardDoubles => Pixels + (2 * Hidden);

    public override void Initialize(Span<double> p, Random random)
    {
        Dense(p[..First], Pixels, Hidden, random);
        Dense(p.Slice(First, Second), Hidden, Hidden, random);
        Dense(p[(First + Second)..], Hidden, Classes, random);
    }

    public override Worker CreateWorker() => new ExplicitWorker();
}

internal sealed class ExplicitWorker : Worker
{
    private readonly Layers.DenseFunction _first = new(Network.Pixels, ExplicitNetwork.First, Network.Hidden), _second = new(Network.Hidden, ExplicitNetwork.Second, Network.Hidden);
    private readonly double[] _h1 = new double[Network.Hidden], _h2 = new double[Network.Hidden], _h1Bar = new double[Network.Hidden], _h2Bar = new double[Network.Hidden];
    private readonly double[] _imageBar = new double[Network.Pixels];

    protected override void Features(ReadOnlySpan<double> image, ReadOnlySpan<double> p)
    {
        _first.Evaluate(image, p[..ExplicitNetwork.First], _h1);
        _second.Evaluate(_h1, p.Slice(ExplicitNetwork.First, ExplicitNetwork.Second), _h2);
        Head.Evaluate(_h2, p[(ExplicitNetwork.First + ExplicitNetwork.Second)..], Logits);
        ForwardIterations += 1;
    }

    public override double Train(ReadOnlySpan<double> image, int label, ReadOnlySpan<double> p, Span<double> gradient, ulong noiseSeed)
    {
        Features(image, p);
        double loss = Loss(label);
        Array.Clear(_h2Bar);
        Array.Clear(_h1Bar);
        Head.Vjp(_h2, p[(ExplicitNetwork.First + ExplicitNetwork.Second)..], LogitsBar, _h2Bar, gradient[(ExplicitNetwork.First + ExplicitNetwork.Second)..]);
        _second.Vjp(_h1, p.Slice(ExplicitNetwork.First, ExplicitNetwork.Second), _h2Bar, _h1Bar, gradient.Slice(ExplicitNetwork.First, ExplicitNetwork.Second));
        _first.Vjp(image, p[..ExplicitNetwork.First], _h1Bar, _imageBar, gradient[..ExplicitNetwork.First]);
        BackwardIterations += 1;
        return loss;
    }
}

/// <summary>SplitMix64 with Box–Muller: noise that depends only on its seed, not on which thread draws it.</summary>
internal struct SplitMix(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public double Uniform() => ((Next() >> 11) + 0.5) * (1.0 / (1UL << 53));

    public double Gaussian() => Math.Sqrt(-2 * Math.Log(Uniform())) * Math.Cos(2 * Math.PI * Uniform());
}
