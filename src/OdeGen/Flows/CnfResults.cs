namespace OdeGen.Flows;

/// <summary>What a density evaluation or a sampling run cost: solves (chunks), steps and evaluations of the field.</summary>
/// <param name="Solves">Number of solves (chunks of the batch).</param>
/// <param name="Steps">Accepted steps, summed over the solves.</param>
/// <param name="FunctionEvaluations">Evaluations of the augmented dynamics, summed over the solves (each is one f per sample).</param>
public readonly record struct CnfCost(int Solves, long Steps, long FunctionEvaluations)
{
    /// <summary>Evaluations per solve (the NFE that torchdiffeq reports for a batch).</summary>
    public double EvaluationsPerSolve => Solves == 0 ? 0 : (double)FunctionEvaluations / Solves;
}

/// <summary>The training loss of a batch and what it cost; its gradient is in the span given to <see cref="CnfFlow.LossGradient"/>.</summary>
public sealed class CnfLoss
{
    internal CnfLoss(double nll, double kinetic, double jacobian, double loss, CnfCost forward, CnfCost backward)
    {
        NegativeLogLikelihood = nll;
        Kinetic = kinetic;
        Jacobian = jacobian;
        Loss = loss;
        Forward = forward;
        Backward = backward;
    }

    /// <summary>Mean −log p(x) over the batch, in nats (with Hutchinson's trace: an unbiased estimate).</summary>
    public double NegativeLogLikelihood { get; }

    /// <summary>Mean ∫‖f‖² dt over the batch (0 when its weight is 0).</summary>
    public double Kinetic { get; }

    /// <summary>Mean ∫‖(∂f/∂z)ε‖² dt over the batch (0 when its weight is 0).</summary>
    public double Jacobian { get; }

    /// <summary>The loss whose gradient was computed: NLL + λ_K·Kinetic + λ_J·Jacobian.</summary>
    public double Loss { get; }

    /// <summary>The forward passes (data to base).</summary>
    public CnfCost Forward { get; }

    /// <summary>The backward passes (adjoint, plus any recomputation of the forward state).</summary>
    public CnfCost Backward { get; }
}
