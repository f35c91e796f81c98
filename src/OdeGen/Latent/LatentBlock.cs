using OdeGen.Lanes;
using OdeGen.Models;

namespace OdeGen.Latent;

/// <summary>
/// One width's engine of <see cref="LatentOdeModel"/>: runs a batch in blocks of <c>TLane.Count</c> series, one per
/// lane, forward (encoder, reparameterisation, decoder, likelihood) and backward (the exact reverse of each of those
/// steps). Each lane follows a schedule of ticks built from its own series: a tick is an RK4 step with the lane's own h
/// (0 when the lane has nothing to integrate) followed by a GRU update or an emission when the lane has an observation
/// there. Work space grows to the largest block seen and is reused.
/// </summary>
internal sealed class LatentBlock<TLane> where TLane : unmanaged, ILane<TLane>
{
    private const int NoObservation = -2, StartObservation = -1;
    private static readonly int W = TLane.Count;
    private readonly LatentOdeModel _m;
    private readonly int _d, _l, _he, _inE, _p;
    private readonly TLane[] _theta, _thetaBar;
    private readonly double[] _row, _mu, _logVar, _z0, _klGrad, _noiseGrad;
    private readonly TLane[] _scratch, _gruX, _gruXBar, _gruY, _vecBar, _head, _headBar, _emit, _emitBar;
    private Schedule _encoder = new(), _decoder = new();
    private TLane[] _hTape = [], _hMid = [], _zTape = [];
    private double[] _pred = [], _predBar = [];

    public LatentBlock(LatentOdeModel model)
    {
        _m = model;
        LatentOdeOptions o = model.Options;
        (_d, _l, _he, _inE, _p) = (o.Features, o.LatentSize, o.EncoderHidden, model.EncoderInputs, model.ParameterCount);
        _theta = new TLane[_p];
        _thetaBar = new TLane[_p];
        _row = new double[W];
        _mu = new double[W * _l];
        _logVar = new double[W * _l];
        _z0 = new double[W * _l];
        _klGrad = new double[2 * _l];
        _noiseGrad = new double[_d];
        int scratch = Math.Max(model.EncoderDynamics is { } e ? LaneRk4.ScratchCount(e) : 0, model.Dynamics is { } f ? LaneRk4.ScratchCount(f) : 0);
        _scratch = new TLane[Math.Max(1, scratch)];
        int gru = Math.Max(_inE + _he, 1 + _l);
        _gruX = new TLane[gru];
        _gruXBar = new TLane[gru];
        _gruY = new TLane[Math.Max(_he, _l)];
        _vecBar = new TLane[Math.Max(_he, _l)];
        _head = new TLane[2 * _l];
        _headBar = new TLane[2 * _l];
        _emit = new TLane[_d];
        _emitBar = new TLane[_d];
    }

    public LatentElbo Elbo(ReadOnlySpan<double> theta, IReadOnlyList<IrregularSeries> inputs, IReadOnlyList<IrregularSeries> targets,
        ReadOnlySpan<double> epsilon, Span<double> gradient)
    {
        bool backward = !gradient.IsEmpty;
        Broadcast(theta);
        if (backward) Array.Clear(_thetaBar);
        Array.Clear(_noiseGrad);
        double nll = 0, kl = 0, se = 0;
        int observed = 0, batch = inputs.Count;
        for (int start = 0; start < batch; start += W)
        {
            int count = Math.Min(W, batch - start);
            Forward(inputs, targets, epsilon, start, count);
            for (int lane = 0; lane < count; lane++)
            {
                kl += Kl(lane);
                (double n, double s, int c) = Likelihood(theta, targets[start + lane], lane, backward);
                nll += n;
                se += s;
                observed += c;
            }

            if (backward) Backward(epsilon, start, count);
        }

        if (backward)
        {
            double scale = 1.0 / batch;
            for (int k = 0; k < _p; k++) gradient[k] = TLane.Sum(_thetaBar[k]) * scale;
            if (_m.NoiseLogVariance is { } nv)
                for (int q = 0; q < _d; q++) gradient[nv.Offset + q] = _noiseGrad[q] * scale;
        }

        return new LatentElbo((nll + (_m.KlWeight * kl)) / batch, nll / batch, kl / batch, se, observed);
    }

    public void Predict(ReadOnlySpan<double> theta, IReadOnlyList<IrregularSeries> inputs, IReadOnlyList<IrregularSeries> targets,
        ReadOnlySpan<double> epsilon, Span<double> predictions)
    {
        Broadcast(theta);
        int offset = 0;
        for (int start = 0; start < inputs.Count; start += W)
        {
            int count = Math.Min(W, inputs.Count - start);
            Forward(inputs, targets, epsilon, start, count);
            for (int lane = 0; lane < count; lane++)
            {
                int values = targets[start + lane].Count * _d;
                _pred.AsSpan(lane * _decoder.MaxObservations * _d, values).CopyTo(predictions[offset..]);
                offset += values;
            }
        }
    }

    private void Broadcast(ReadOnlySpan<double> theta)
    {
        for (int k = 0; k < _p; k++) _theta[k] = TLane.Create(theta[k]);
    }

    // ---- Forward --------------------------------------------------------------------------------------------------

    private void Forward(IReadOnlyList<IrregularSeries> inputs, IReadOnlyList<IrregularSeries> targets,
        ReadOnlySpan<double> epsilon, int start, int count)
    {
        EncoderForward(inputs, epsilon, start, count);
        DecoderForward(targets, start, count);
    }

    public void Encode(ReadOnlySpan<double> theta, IReadOnlyList<IrregularSeries> inputs, Span<double> mean, Span<double> logVariance)
    {
        Broadcast(theta);
        double[] zeros = new double[inputs.Count * _l];
        for (int start = 0; start < inputs.Count; start += W)
        {
            int count = Math.Min(W, inputs.Count - start);
            EncoderForward(inputs, zeros, start, count);
            _mu.AsSpan(0, count * _l).CopyTo(mean[(start * _l)..]);
            _logVar.AsSpan(0, count * _l).CopyTo(logVariance[(start * _l)..]);
        }
    }

    private void EncoderForward(IReadOnlyList<IrregularSeries> inputs, ReadOnlySpan<double> epsilon, int start, int count)
    {
        LatentOdeOptions o = _m.Options;
        _encoder.BuildEncoder(inputs, start, count, o);
        Grow(ref _hTape, (_encoder.Ticks + 1) * _he);
        Grow(ref _hMid, Math.Max(1, _encoder.Ticks) * _he);

        // Encoder, backwards in time from each series' last observation.
        ReadOnlySpan<TLane> gruP = _theta.AsSpan(_m.EncoderGru.Offset, _m.EncoderGru.Length);
        _hTape.AsSpan(0, _he).Clear();
        for (int k = 0; k < _encoder.Ticks; k++)
        {
            Span<TLane> mid = _hMid.AsSpan(k * _he, _he), next = _hTape.AsSpan((k + 1) * _he, _he);
            _hTape.AsSpan(k * _he, _he).CopyTo(mid);
            if (_encoder.AnyStep(k)) LaneRk4.Step<TLane>(_m.EncoderDynamics!, EncoderOdeP, mid, _encoder.StepLanes(k), _scratch);
            if (_encoder.AnyObservation(k))
            {
                TLane mask = EncoderInput(inputs, start, k);
                mid.CopyTo(_gruX.AsSpan(_inE));
                _m.EncoderCell.EvaluateLanes<TLane>(_gruX.AsSpan(0, _inE + _he), gruP, _gruY.AsSpan(0, _he));
                for (int i = 0; i < _he; i++) next[i] = TLane.Select(mask, _gruY[i], mid[i]);
            }
            else
            {
                mid.CopyTo(next);
            }
        }

        // q(z₀ | x) = N(μ, diag exp(log σ²)), z₀ = μ + σ⊙ε.
        _m.Head.EvaluateLanes<TLane>(_hTape.AsSpan(_encoder.Ticks * _he, _he), HeadP, _head);
        for (int lane = 0; lane < W; lane++)
        {
            for (int i = 0; i < _l; i++)
            {
                double mu = TLane.GetLane(_head[i], lane), logVar = TLane.GetLane(_head[_l + i], lane);
                double eps = lane < count ? epsilon[((start + lane) * _l) + i] : 0.0;
                _mu[(lane * _l) + i] = mu;
                _logVar[(lane * _l) + i] = logVar;
                _z0[(lane * _l) + i] = mu + (Math.Exp(0.5 * logVar) * eps);
                if (lane < count && !(double.IsFinite(mu) && double.IsFinite(logVar)))
                    throw new OdeSolverException(OdeStatus.NonFiniteValue, o.T0,
                        $"The encoder's output for series '{inputs[start + lane].Id}' (batch index {start + lane}) is not finite (μ = {mu}, log σ² = {logVar}): lower the learning rate or the time scale.");
            }
        }

    }

    private void DecoderForward(IReadOnlyList<IrregularSeries> targets, int start, int count)
    {
        _decoder.BuildDecoder(targets, start, count, _m.Options);
        Grow(ref _zTape, (_decoder.Ticks + 1) * _l);
        Grow(ref _pred, W * _decoder.MaxObservations * _d);
        Grow(ref _predBar, W * _decoder.MaxObservations * _d);

        // Decoder, forwards from T0 through each series' own times.
        Span<TLane> z = _zTape.AsSpan(0, _l);
        for (int i = 0; i < _l; i++) z[i] = Gather(_z0, i, _l);
        for (int k = 0; k < _decoder.Ticks; k++)
        {
            Span<TLane> before = _zTape.AsSpan(k * _l, _l), after = _zTape.AsSpan((k + 1) * _l, _l);
            before.CopyTo(after);
            bool emits = _decoder.AnyObservation(k);
            if (_m.Dynamics is { } f)
            {
                if (_decoder.AnyStep(k)) LaneRk4.Step<TLane>(f, LatentOdeP, after, _decoder.StepLanes(k), _scratch);
            }
            else if (emits)
            {
                TLane mask = DecoderInput(k, before);
                _m.DecoderCell.EvaluateLanes<TLane>(_gruX.AsSpan(0, 1 + _l), DecoderGruP, _gruY.AsSpan(0, _l));
                for (int i = 0; i < _l; i++) after[i] = TLane.Select(mask, _gruY[i], before[i]);
            }

            if (emits)
            {
                _m.Emission.EvaluateLanes<TLane>(after, EmissionP, _emit);
                for (int lane = 0; lane < count; lane++)
                {
                    int obs = _decoder.Observation(k, lane);
                    if (obs < 0) continue;
                    for (int q = 0; q < _d; q++)
                    {
                        double x = TLane.GetLane(_emit[q], lane);
                        if (!double.IsFinite(x))
                            throw new OdeSolverException(OdeStatus.NonFiniteValue, targets[start + lane].Times[obs],
                                $"The decoded value of series '{targets[start + lane].Id}' (batch index {start + lane}) at t = {targets[start + lane].Times[obs]} is not finite: lower the learning rate or MaxStep.");
                        _pred[(((lane * _decoder.MaxObservations) + obs) * _d) + q] = x;
                    }
                }
            }
        }
    }

    private double Kl(int lane)
    {
        Span<double> q = stackalloc double[2 * _l];
        Span<double> prior = stackalloc double[2 * _l];
        prior.Clear();
        _mu.AsSpan(lane * _l, _l).CopyTo(q);
        _logVar.AsSpan(lane * _l, _l).CopyTo(q[_l..]);
        return Loss.DiagonalGaussianKl.Evaluate(q, prior, _klGrad);
    }

    private (double Nll, double SquaredError, int Count) Likelihood(ReadOnlySpan<double> theta, IrregularSeries target, int lane, bool backward)
    {
        Span<double> output = stackalloc double[2];
        Span<double> value = stackalloc double[1];
        Span<double> g = stackalloc double[2];
        double fixedLogVar = 2 * Math.Log(_m.Options.NoiseStd), nll = 0, se = 0;
        int count = 0;
        ReadOnlySpan<double> x = target.Values, mask = target.Mask;
        for (int i = 0; i < target.Count; i++)
        {
            for (int q = 0; q < _d; q++)
            {
                int at = (((lane * _decoder.MaxObservations) + i) * _d) + q;
                _predBar[at] = 0;
                if (mask[(i * _d) + q] == 0.0) continue;
                output[0] = _pred[at];
                output[1] = _m.NoiseLogVariance is { } nv ? theta[nv.Offset + q] : fixedLogVar;
                value[0] = x[(i * _d) + q];
                nll += Loss.GaussianNegativeLogLikelihood.Evaluate(output, value, g);
                double e = value[0] - output[0];
                se += e * e;
                count++;
                if (backward)
                {
                    _predBar[at] = g[0];
                    _noiseGrad[q] += g[1];
                }
            }
        }

        return (nll, se, count);
    }

    // ---- Backward -------------------------------------------------------------------------------------------------

    private void Backward(ReadOnlySpan<double> epsilon, int start, int count)
    {
        Span<TLane> zBar = _vecBar.AsSpan(0, _l);
        zBar.Clear();
        for (int k = _decoder.Ticks - 1; k >= 0; k--)
        {
            Span<TLane> before = _zTape.AsSpan(k * _l, _l), after = _zTape.AsSpan((k + 1) * _l, _l);
            bool emits = _decoder.AnyObservation(k);
            if (emits)
            {
                for (int q = 0; q < _d; q++)
                {
                    for (int lane = 0; lane < W; lane++)
                    {
                        int obs = _decoder.Observation(k, lane);
                        _row[lane] = obs < 0 ? 0.0 : _predBar[(((lane * _decoder.MaxObservations) + obs) * _d) + q];
                    }

                    _emitBar[q] = TLane.Load(_row);
                }

                _m.Emission.VjpLanes<TLane>(after, EmissionP, _emitBar, zBar, _thetaBar.AsSpan(_m.DecoderWeight.Offset, _m.DecoderWeight.Length + _m.DecoderBias.Length));
            }

            if (_m.Dynamics is { } f)
            {
                if (_decoder.AnyStep(k)) LaneRk4.Reverse<TLane>(f, LatentOdeP, before, _decoder.StepLanes(k), zBar, LatentOdePBar, _scratch);
            }
            else if (emits)
            {
                TLane mask = DecoderInput(k, before);
                GruReverse(_m.DecoderCell, DecoderGruP, DecoderGruPBar, 1, _l, mask, zBar);
            }
        }

        // Through the reparameterisation and the KL: ∂/∂μ = z̄ + w·∂KL/∂μ, ∂/∂log σ² = z̄·ε·σ/2 + w·∂KL/∂log σ².
        double w = _m.KlWeight;
        Span<double> headBar = stackalloc double[W * 2 * _l];   // [μ̄ (L), log σ²̄ (L)], lane by lane
        headBar.Clear();
        for (int lane = 0; lane < count; lane++)
        {
            Kl(lane);   // ∂KL/∂[μ, log σ²] of this lane into _klGrad
            for (int i = 0; i < _l; i++)
            {
                double zb = TLane.GetLane(zBar[i], lane), logVar = _logVar[(lane * _l) + i], eps = epsilon[((start + lane) * _l) + i];
                headBar[(i * W) + lane] = zb + (w * _klGrad[i]);
                headBar[((_l + i) * W) + lane] = (zb * eps * 0.5 * Math.Exp(0.5 * logVar)) + (w * _klGrad[_l + i]);
            }
        }

        for (int i = 0; i < 2 * _l; i++) _headBar[i] = TLane.Load(headBar.Slice(i * W, W));
        Span<TLane> hBar = _vecBar.AsSpan(0, _he);
        hBar.Clear();
        _m.Head.VjpLanes<TLane>(_hTape.AsSpan(_encoder.Ticks * _he, _he), HeadP, _headBar, hBar,
            _thetaBar.AsSpan(_m.EncoderHeadWeight.Offset, _m.EncoderHeadWeight.Length + _m.EncoderHeadBias.Length));

        ReadOnlySpan<TLane> gruP = _theta.AsSpan(_m.EncoderGru.Offset, _m.EncoderGru.Length);
        Span<TLane> gruPBar = _thetaBar.AsSpan(_m.EncoderGru.Offset, _m.EncoderGru.Length);
        for (int k = _encoder.Ticks - 1; k >= 0; k--)
        {
            if (_encoder.AnyObservation(k))
            {
                TLane mask = EncoderInputFromTape(k);
                _hMid.AsSpan(k * _he, _he).CopyTo(_gruX.AsSpan(_inE));
                GruReverse(_m.EncoderCell, gruP, gruPBar, _inE, _he, mask, hBar);
            }

            if (_encoder.AnyStep(k))
                LaneRk4.Reverse<TLane>(_m.EncoderDynamics!, EncoderOdeP, _hTape.AsSpan(k * _he, _he), _encoder.StepLanes(k), hBar, EncoderOdePBar, _scratch);
        }
    }

    // h' = mask ? GRU([u, h]) : h with _gruX = [u, h]; hBar ← ∂L/∂h given ∂L/∂h'.
    private void GruReverse(OdeGen.Layers.LayerFunctions.GruCellFunction cell, ReadOnlySpan<TLane> p, Span<TLane> pBar, int inputs, int hidden, TLane mask, Span<TLane> hBar)
    {
        Span<TLane> yBar = _gruY.AsSpan(0, hidden), xBar = _gruXBar.AsSpan(0, inputs + hidden);
        for (int i = 0; i < hidden; i++) yBar[i] = TLane.Select(mask, hBar[i], TLane.Zero);
        xBar.Clear();
        cell.VjpLanes<TLane>(_gruX.AsSpan(0, inputs + hidden), p, yBar, xBar, pBar);
        for (int i = 0; i < hidden; i++) hBar[i] = TLane.Select(mask, xBar[inputs + i], hBar[i]);
    }

    // ---- Inputs ----------------------------------------------------------------------------------------------------

    // Fills _gruX[0.._inE) with [x⊙m, m, (Δt)] of every lane at encoder tick k; returns the mask of lanes that update.
    private TLane EncoderInput(IReadOnlyList<IrregularSeries> inputs, int start, int k)
    {
        _encoder.Inputs(k, _inE, _d, inputs, start, _gruX, _row);
        return _encoder.UpdateMask(k, _row);
    }

    private TLane EncoderInputFromTape(int k)
    {
        _encoder.InputsFromCache(k, _inE, _gruX);
        return _encoder.UpdateMask(k, _row);
    }

    private TLane DecoderInput(int k, ReadOnlySpan<TLane> before)
    {
        _gruX[0] = _decoder.DeltaLanes(k);
        before.CopyTo(_gruX.AsSpan(1));
        return _decoder.UpdateMask(k, _row);
    }

    private TLane Gather(double[] values, int i, int stride)
    {
        for (int lane = 0; lane < W; lane++) _row[lane] = values[(lane * stride) + i];
        return TLane.Load(_row);
    }

    private ReadOnlySpan<TLane> EncoderOdeP => _theta.AsSpan(_m.EncoderOde!.Value.Offset, _m.EncoderOde.Value.Length);
    private Span<TLane> EncoderOdePBar => _thetaBar.AsSpan(_m.EncoderOde!.Value.Offset, _m.EncoderOde.Value.Length);
    private ReadOnlySpan<TLane> LatentOdeP => _theta.AsSpan(_m.LatentOde!.Value.Offset, _m.LatentOde.Value.Length);
    private Span<TLane> LatentOdePBar => _thetaBar.AsSpan(_m.LatentOde!.Value.Offset, _m.LatentOde.Value.Length);
    private ReadOnlySpan<TLane> DecoderGruP => _theta.AsSpan(_m.DecoderGru!.Value.Offset, _m.DecoderGru.Value.Length);
    private Span<TLane> DecoderGruPBar => _thetaBar.AsSpan(_m.DecoderGru!.Value.Offset, _m.DecoderGru.Value.Length);
    private ReadOnlySpan<TLane> HeadP => _theta.AsSpan(_m.EncoderHeadWeight.Offset, _m.EncoderHeadWeight.Length + _m.EncoderHeadBias.Length);
    private ReadOnlySpan<TLane> EmissionP => _theta.AsSpan(_m.DecoderWeight.Offset, _m.DecoderWeight.Length + _m.DecoderBias.Length);

    private static void Grow<T>(ref T[] array, int length)
    {
        if (array.Length < length) array = new T[Math.Max(length, 2 * array.Length)];
    }

    /// <summary>
    /// The ticks of one block, lane-major within a tick: [tick·W + lane] holds the lane's step size, its observation
    /// index (or none) and its Δt input. The encoder's inputs of each tick are cached for the backward pass.
    /// </summary>
    private sealed class Schedule
    {
        private double[] _h = [], _dt = [], _inputs = [];
        private int[] _obs = [];
        private bool[] _anyStep = [], _anyObs = [];
        private readonly int[] _length = new int[W];

        public int Ticks { get; private set; }

        public int MaxObservations { get; private set; }

        public bool AnyStep(int k) => _anyStep[k];

        public bool AnyObservation(int k) => _anyObs[k];

        public int Observation(int k, int lane) => _obs[(k * W) + lane];

        public TLane StepLanes(int k) => TLane.Load(_h.AsSpan(k * W, W));

        public TLane DeltaLanes(int k) => TLane.Load(_dt.AsSpan(k * W, W));

        public TLane UpdateMask(int k, double[] row)
        {
            for (int lane = 0; lane < W; lane++) row[lane] = _obs[(k * W) + lane] == NoObservation ? 0.0 : 1.0;
            return TLane.GreaterThan(TLane.Load(row), TLane.Zero);
        }

        // Encoder: the last observation first; ODE-RNN evolves between observations (h < 0) and on to T0.
        public void BuildEncoder(IReadOnlyList<IrregularSeries> series, int start, int count, LatentOdeOptions o)
        {
            int ticks = 0;
            for (int lane = 0; lane < count; lane++) ticks = Math.Max(ticks, Count(series[start + lane], o));
            Reset(ticks);
            for (int lane = 0; lane < count; lane++)
            {
                IrregularSeries s = series[start + lane];
                int k = 0, m = s.Count;
                for (int i = m - 1; i >= -1; i--)
                {
                    double from = i == m - 1 ? s.Times[i] : s.Times[i + 1], to = i >= 0 ? s.Times[i] : o.T0, gap = from - to;
                    int obs = i >= 0 ? i : StartObservation;
                    if (o.Encoder == LatentEncoder.RnnDeltaT)
                    {
                        if (i < 0 && gap == 0) continue;
                        Set(k++, lane, 0.0, obs, gap);
                        continue;
                    }

                    int steps = gap > 0 ? (int)Math.Ceiling(gap / o.EncoderMaxStep) : 0;
                    for (int j = 0; j < steps; j++) Set(k++, lane, -gap / steps, j == steps - 1 && i >= 0 ? obs : NoObservation, 0.0);
                    if (steps == 0 && i >= 0) Set(k++, lane, 0.0, obs, 0.0);
                }
            }

            Finish();
        }

        // Decoder: from T0 through each target time, an emission at each.
        public void BuildDecoder(IReadOnlyList<IrregularSeries> series, int start, int count, LatentOdeOptions o)
        {
            MaxObservations = 0;
            for (int lane = 0; lane < count; lane++) MaxObservations = Math.Max(MaxObservations, series[start + lane].Count);
            int ticks = 0;
            for (int lane = 0; lane < count; lane++) ticks = Math.Max(ticks, Count(series[start + lane], o, decoder: true));
            Reset(ticks);
            for (int lane = 0; lane < count; lane++)
            {
                IrregularSeries s = series[start + lane];
                int k = 0;
                double previous = o.T0;
                for (int i = 0; i < s.Count; i++)
                {
                    double gap = s.Times[i] - previous;
                    previous = s.Times[i];
                    int steps = o.Decoder == LatentDecoder.Ode && gap > 0 ? (int)Math.Ceiling(gap / o.MaxStep) : 0;
                    for (int j = 0; j < steps - 1; j++) Set(k++, lane, gap / steps, NoObservation, 0.0);
                    Set(k++, lane, steps > 0 ? gap / steps : 0.0, i, gap);
                }
            }

            Finish();
        }

        private int Count(IrregularSeries s, LatentOdeOptions o, bool decoder = false)
        {
            // In double, then refused by name: (int)Math.Ceiling(gap / MaxStep) of a long series (t = 1e9 at MaxStep 0.25)
            // wrapped the step count, and the schedule's buffers were sized from it (IndexOutOfRangeException in Array.Clear).
            double ticks = 0;
            double previous = o.T0;
            if (decoder)
            {
                for (int i = 0; i < s.Count; i++)
                {
                    double gap = s.Times[i] - previous;
                    previous = s.Times[i];
                    ticks += o.Decoder == LatentDecoder.Ode && gap > 0 ? Math.Ceiling(gap / o.MaxStep) : 1;
                }

                return CheckTicks(ticks, s, o, decoder);
            }

            for (int i = s.Count - 1; i >= -1; i--)
            {
                double from = i == s.Count - 1 ? s.Times[i] : s.Times[i + 1], to = i >= 0 ? s.Times[i] : o.T0, gap = from - to;
                if (o.Encoder == LatentEncoder.RnnDeltaT) ticks += i < 0 && gap == 0 ? 0 : 1;
                else ticks += gap > 0 ? Math.Ceiling(gap / o.EncoderMaxStep) : i >= 0 ? 1 : 0;
            }

            return CheckTicks(ticks, s, o, decoder);
        }

        // The schedule holds ticks × W entries of three arrays, and the tapes and encoder inputs up to ticks × W × (the widest of
        // the hidden state, the latent state and an input row): a count no array holds is an input error.
        private int CheckTicks(double ticks, IrregularSeries s, LatentOdeOptions o, bool decoder)
        {
            double perTick = (double)W * Math.Max(Math.Max(o.EncoderHidden, o.LatentSize), (2 * o.Features) + 1);
            if (ticks * perTick <= Array.MaxLength) return (int)ticks;
            string step = decoder ? nameof(LatentOdeOptions.MaxStep) : nameof(LatentOdeOptions.EncoderMaxStep);
            throw new ArgumentException(FormattableString.Invariant(
                $"Series '{s.Id}' runs from T0 = {o.T0} to t = {s.Times[s.Count - 1]}: at {step} = {(decoder ? o.MaxStep : o.EncoderMaxStep)} its {(decoder ? "decoder" : "encoder")} takes {ticks} steps, more than a batch's buffers can hold. Rescale the times or raise {step}."),
                decoder ? "targets" : "inputs");
        }

        private void Reset(int ticks)
        {
            Ticks = ticks;
            int n = Ticks * W;
            Grow(ref _h, n);
            Grow(ref _dt, n);
            Grow(ref _obs, n);
            Grow(ref _anyStep, Ticks);
            Grow(ref _anyObs, Ticks);
            Array.Clear(_h, 0, n);
            Array.Clear(_dt, 0, n);
            Array.Fill(_obs, NoObservation, 0, n);
        }

        private void Set(int k, int lane, double h, int obs, double dt)
        {
            _h[(k * W) + lane] = h;
            _obs[(k * W) + lane] = obs;
            _dt[(k * W) + lane] = dt;
        }

        private void Finish()
        {
            for (int k = 0; k < Ticks; k++)
            {
                bool step = false, obs = false;
                for (int lane = 0; lane < W; lane++)
                {
                    step |= _h[(k * W) + lane] != 0.0;
                    obs |= _obs[(k * W) + lane] != NoObservation;
                }

                _anyStep[k] = step;
                _anyObs[k] = obs;
            }
        }

        // Fills x[0..inputs) with every lane's [x⊙m, m, (Δt)] at tick k and keeps a copy for the backward pass.
        public void Inputs(int k, int inputs, int d, IReadOnlyList<IrregularSeries> series, int start, TLane[] x, double[] row)
        {
            Grow(ref _inputs, Ticks * inputs * W);
            for (int c = 0; c < inputs; c++)
            {
                for (int lane = 0; lane < W; lane++)
                {
                    int obs = _obs[(k * W) + lane];
                    double v = 0.0;
                    if (obs >= 0)
                    {
                        IrregularSeries s = series[start + lane];
                        v = c < d ? s.Values[(obs * d) + c] : c < 2 * d ? s.Mask[(obs * d) + c - d] : _dt[(k * W) + lane];
                    }
                    else if (obs == StartObservation && c == 2 * d)
                    {
                        v = _dt[(k * W) + lane];
                    }

                    row[lane] = v;
                    _inputs[(((k * inputs) + c) * W) + lane] = v;
                }

                x[c] = TLane.Load(row);
            }
        }

        public void InputsFromCache(int k, int inputs, TLane[] x)
        {
            for (int c = 0; c < inputs; c++) x[c] = TLane.Load(_inputs.AsSpan(((k * inputs) + c) * W, W));
        }
    }
}
