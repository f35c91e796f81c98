using OdeGen.Solvers;
using OdeGen.Tests.Solvers;

// Not "OdeGen.Tests.Sensitivity": a namespace segment with that name would hide the OdeGen.Sensitivity class.
namespace OdeGen.Tests.Sensitivities;

/// <summary>The augmented fields the stiff solvers step allocate nothing per evaluation, Jacobian or step.</summary>
public class StiffAllocationTests
{
    private static readonly double[] P = [0.04, 3e7, 1e4];
    private static readonly double[] Y0 = [1.0, 0.0, 0.0];

    private static long Bytes(Action action)
    {
        action(); // JIT and first-call costs out of the way
        action();
        return Allocations.Least(action);
    }

    private static void AssertFieldAllocatesNothing<TField>(TField field, double[] x) where TField : struct, IJacobianField
    {
        int d = field.Dimension;
        var dx = new double[d];
        var jac = new double[d * d];
        long bytes = Bytes(() =>
        {
            for (int r = 0; r < 50; r++)
            {
                field.Evaluate(0.1 + 1e-3 * r, x, dx);
                field.Jacobian(0.1 + 1e-3 * r, x, jac);
                field.TimeDerivative(0.1 + 1e-3 * r, x, dx);
            }
        });
        Assert.Equal(0, bytes);
    }

    private static long StepBytes<TField>(TField field, double[] x0, double t1, SolverOptions options, out int steps) where TField : struct, IJacobianField
    {
        var stepper = options.Method.CreateIntegrator<TField>(field.Dimension, options);
        int taken = 0;
        long bytes = Bytes(() =>
        {
            stepper.Reset(field, x0, 0, t1);
            taken = 0;
            while (stepper.Step()) taken++;
        });
        Assert.Equal(OdeStatus.Success, stepper.Status);
        steps = taken;
        return bytes;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ForwardSensitivityField_AllocatesNothing(bool coupling)
    {
        var counter = new EvaluationCounter();
        var field = new ForwardSensitivityField<RobertsonSystem>(new RobertsonSystem(), P, counter, withDerivatives: true, couplingByDifferences: coupling);
        double[] x = new double[field.Dimension];
        x[0] = 0.9; x[1] = 2e-5; x[2] = 0.1;
        for (int i = 3; i < x.Length; i++) x[i] = 0.01 * i;
        AssertFieldAllocatesNothing(field, x);
        foreach (OdeMethod method in OdeMethod.Stiff)
        {
            var options = new SolverOptions { Method = method, RelTol = 1e-6, AbsTol = 1e-10 };
            long bytes = StepBytes(field, ForwardSensitivitySolverInitial(), 40, options, out int steps);
            Assert.True(steps > 20, $"{method}: {steps} steps");
            Assert.Equal(0, bytes);
        }
    }

    private static double[] ForwardSensitivitySolverInitial() => ForwardSensitivitySolver.InitialState(Y0, 3);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TangentField_AllocatesNothing(bool coupling)
    {
        var field = new TangentField<RobertsonSystem>(new RobertsonSystem(), P, [0.01, 1e5, 10], new EvaluationCounter(), withDerivatives: true, couplingByDifferences: coupling);
        AssertFieldAllocatesNothing(field, [0.9, 2e-5, 0.1, 0.3, -0.2, 0.1]);
        foreach (OdeMethod method in OdeMethod.Stiff)
        {
            long bytes = StepBytes(field, [1.0, 0, 0, 0, 0, 0], 40, new SolverOptions { Method = method, RelTol = 1e-6, AbsTol = 1e-10 }, out int steps);
            Assert.True(steps > 20, $"{method}: {steps} steps");
            Assert.Equal(0, bytes);
        }
    }

    [Fact]
    public void InterpolatedAdjointField_AllocatesNothing()
    {
        foreach (OdeMethod method in OdeMethod.Stiff)
        {
            var options = new SolverOptions { Method = method, RelTol = 1e-6, AbsTol = 1e-10 };
            // Record a forward segment [0, 40] to interpolate from, as the interpolating adjoint does.
            var system = new RobertsonSystem();
            var forward = options.Method.CreateIntegrator<SystemField<RobertsonSystem>>(3, options);
            var segment = new DenseSegment(3, method);
            forward.Reset(new SystemField<RobertsonSystem>(system, P), Y0, 0, 40);
            while (forward.Step()) segment.Add(forward);
            Assert.Equal(OdeStatus.Success, forward.Status);

            var field = new InterpolatedAdjointField<RobertsonSystem>(system, P, segment, new EvaluationCounter(), withDerivatives: true);
            AssertFieldAllocatesNothing(field, [1.0, 1e4, 0.0, 0.0, 0.0, 0.0, 0.0]);
            var backward = options.Method.CreateIntegrator<InterpolatedAdjointField<RobertsonSystem>>(field.Dimension, options);
            int steps = 0;
            long bytes = Bytes(() =>
            {
                backward.Reset(field, [1.0, 1e4, 0.0, 0.0, 0.0, 0.0, 0.0], 40, 0);
                steps = 0;
                while (backward.Step()) steps++;
            });
            Assert.Equal(OdeStatus.Success, backward.Status);
            Assert.True(steps > 20, $"{method}: {steps} backward steps");
            Assert.Equal(0, bytes);
        }
    }
}
