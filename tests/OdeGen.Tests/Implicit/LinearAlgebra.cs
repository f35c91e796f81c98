namespace OdeGen.Tests.Implicit;

/// <summary>Gaussian elimination with partial pivoting, written for the tests, independent of the runtime's solvers.</summary>
internal static class LinearAlgebra
{
    public static double[] Solve(double[,] matrix, double[] rhs)
    {
        int n = rhs.Length;
        var a = (double[,])matrix.Clone();
        var b = (double[])rhs.Clone();
        for (int k = 0; k < n; k++)
        {
            int pivot = k;
            for (int i = k + 1; i < n; i++)
            {
                if (Math.Abs(a[i, k]) > Math.Abs(a[pivot, k])) pivot = i;
            }

            for (int j = 0; j < n; j++) (a[k, j], a[pivot, j]) = (a[pivot, j], a[k, j]);
            (b[k], b[pivot]) = (b[pivot], b[k]);
            for (int i = k + 1; i < n; i++)
            {
                double l = a[i, k] / a[k, k];
                for (int j = k; j < n; j++) a[i, j] -= l * a[k, j];
                b[i] -= l * b[k];
            }
        }

        var x = new double[n];
        for (int i = n - 1; i >= 0; i--)
        {
            double s = b[i];
            for (int j = i + 1; j < n; j++) s -= a[i, j] * x[j];
            x[i] = s / a[i, i];
        }

        return x;
    }

    public static double[,] Transpose(double[,] a)
    {
        int n = a.GetLength(0), m = a.GetLength(1);
        var t = new double[m, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < m; j++) t[j, i] = a[i, j];
        }

        return t;
    }
}
