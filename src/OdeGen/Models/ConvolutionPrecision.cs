namespace OdeGen.Models;

/// <summary>The arithmetic of a convolution's batch passes (<see cref="Conv2d.Precision"/>).</summary>
public enum ConvolutionPrecision
{
    /// <summary>Double precision throughout (the default).</summary>
    Double,

    /// <summary>
    /// The direct passes in float (PyTorch's default dtype): the padded image, the weights and ∂L/∂Y are rounded to float, the
    /// sums of products run in float on tiles of twice the lanes, and the results are added to the layer's double outputs
    /// and gradients. Results carry float's precision (relative error around 1e-7 times the number of terms).
    /// </summary>
    Single,
}
