using System.Runtime.InteropServices;
using MathNet.Numerics.Providers.LinearAlgebra;
using System.Runtime.CompilerServices;

namespace Hybrid.LinearAlgebra;

/// <summary>
/// Matrix products, axpy and scaling through OpenBLAS (Debian: <c>libopenblas0-pthread</c>, <c>libopenblas.so.0</c>),
/// called by function pointer; everything else forwards to MathNet's managed provider.
/// </summary>
public sealed unsafe class OpenBlasProvider : ForwardingLinearAlgebraProvider
{
    /// <summary>The file names tried by default, in order.</summary>
    public static readonly IReadOnlyList<string> DefaultLibraryNames =
        OperatingSystem.IsWindows() ? ["libopenblas.dll", "openblas.dll"]
        : OperatingSystem.IsMacOS() ? ["libopenblas.dylib", "libopenblas.0.dylib"]
        : ["libopenblas.so.0", "libopenblas.so"];

    /// <summary>An OpenBLAS provider that loads the first of <paramref name="libraryNames"/> found (file names or paths).</summary>
    public OpenBlasProvider(IReadOnlyList<string>? libraryNames = null) => LibraryNames = libraryNames ?? DefaultLibraryNames;

    /// <summary>The library file names or paths tried, in order.</summary>
    public IReadOnlyList<string> LibraryNames { get; }

    /// <summary>What to install when OpenBLAS is missing.</summary>
    public const string InstallHint = "install OpenBLAS: apt-get install -y libopenblas0-pthread (Debian/Ubuntu), or put libopenblas on the library path";

    const int ColumnMajor = 102, NoTrans = 111, Trans = 112;

    nint library;
    delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> sgemm;
    delegate* unmanaged<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void> dgemm;
    delegate* unmanaged<int, float, float*, int, float*, int, void> saxpy;
    delegate* unmanaged<int, double, double*, int, double*, int, void> daxpy;
    delegate* unmanaged<int, float, float*, int, void> sscal;
    delegate* unmanaged<int, double, double*, int, void> dscal;
    delegate* unmanaged<int, void> setThreads;
    delegate* unmanaged<int> getThreads;
    delegate* unmanaged<byte*> getConfig;

    /// <summary>The library file that was loaded, once <see cref="InitializeVerify"/> has run.</summary>
    public string? LoadedFrom { get; private set; }

    /// <summary>
    /// OPENBLAS_THREAD_TIMEOUT as Hybrid sets it where the process has not: OpenBLAS's helper threads wait 2^n cycles
    /// (n at least 4) for the next product before they sleep. OpenBLAS's own default, 2^28 cycles (about a tenth of a
    /// second), kept its helper spinning, and yielding, through every training step, on the core where the fused
    /// trainer's own sparse products and updates run their second part between its calls to OpenBLAS. With 4 the helper
    /// sleeps as soon as a product is done and is woken for the next. A Zen 4 (2 cores, OpenBLAS's Cooperlake kernels),
    /// one epoch a run, runs taken by turns, ms per step: 784-512-256-10 b128 2.38 → 2.02 (medians, 4 pairs, all won),
    /// 784-1024-1024-10 b256 16.1 → 15.1 (4 pairs, all won; an earlier 3 pairs, 1 won), the products' own times
    /// unchanged; SparseForward's calling thread ran 1.02 of its 1.44 ms, and 1.14 of 1.16 after. 784-2048-10, whose step
    /// calls no OpenBLAS product, is unaffected. Loss bits are the same: the sums do not depend on it.
    /// </summary>
    internal const int ThreadTimeout = 4;

    // OpenBLAS reads OPENBLAS_THREAD_TIMEOUT from the process's environment once, as it loads; .NET's
    // Environment.SetEnvironmentVariable changes only the runtime's own copy, so libc's setenv puts it where the library
    // looks. Never over a value the process was started with.
    static void SetThreadTimeout()
    {
        var libc = OperatingSystem.IsLinux() ? "libc.so.6" : OperatingSystem.IsMacOS() ? "/usr/lib/libSystem.B.dylib" : null;
        if (libc is null || !NativeLibrary.TryLoad(libc, out var handle)) return;
        if (NativeLibrary.TryGetExport(handle, "setenv", out var setenv))
        {
            var name = "OPENBLAS_THREAD_TIMEOUT\0"u8;
            var value = System.Text.Encoding.ASCII.GetBytes($"{ThreadTimeout}\0");
            fixed (byte* n = name, v = value)
                ((delegate* unmanaged<byte*, byte*, int, int>)setenv)(n, v, 0);
        }
    }

    bool TryLoad()
    {
        if (library != 0) return true;
        SetThreadTimeout();
        foreach (var name in LibraryNames)
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            nint Get(string symbol) => NativeLibrary.TryGetExport(handle, symbol, out var p) ? p : 0;
            var gemm = Get("cblas_sgemm");
            if (gemm == 0)
            {
                NativeLibrary.Free(handle);
                continue;
            }

            sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)gemm;
            dgemm = (delegate* unmanaged<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void>)Get("cblas_dgemm");
            saxpy = (delegate* unmanaged<int, float, float*, int, float*, int, void>)Get("cblas_saxpy");
            daxpy = (delegate* unmanaged<int, double, double*, int, double*, int, void>)Get("cblas_daxpy");
            sscal = (delegate* unmanaged<int, float, float*, int, void>)Get("cblas_sscal");
            dscal = (delegate* unmanaged<int, double, double*, int, void>)Get("cblas_dscal");
            setThreads = (delegate* unmanaged<int, void>)Get("openblas_set_num_threads");
            getThreads = (delegate* unmanaged<int>)Get("openblas_get_num_threads");
            getConfig = (delegate* unmanaged<byte*>)Get("openblas_get_config");
            if (dgemm == null || saxpy == null || daxpy == null || sscal == null || dscal == null)
            {
                NativeLibrary.Free(handle);
                continue;
            }

            library = handle;
            LoadedFrom = name;
            return true;
        }

        return false;
    }

    /// <inheritdoc/>
    public override bool IsAvailable() => TryLoad();

    // A provider used before InitializeVerify loads the library then, or says what to install (never a null call).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    void Loaded()
    {
        if (library == 0) InitializeVerify();
    }

    /// <inheritdoc/>
    /// <exception cref="DllNotFoundException">OpenBLAS is not installed; the message says what to install.</exception>
    public override void InitializeVerify()
    {
        if (!TryLoad())
            throw new DllNotFoundException($"The OpenBLAS provider needs the OpenBLAS library (tried {string.Join(", ", LibraryNames)}); {InstallHint}.");
    }

    /// <summary>OpenBLAS's own description of its build (version, kernel, threading).</summary>
    public string Configuration => getConfig == null ? "unknown" : Marshal.PtrToStringAnsi((nint)getConfig()) ?? "unknown";

    /// <summary>The threads OpenBLAS uses; setting it calls openblas_set_num_threads.</summary>
    public int Threads
    {
        get => getThreads == null ? 1 : getThreads();
        set
        {
            if (setThreads != null) setThreads(Math.Max(1, value));
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"openblas ({LoadedFrom}; {Configuration}; {Threads} threads)";

    /// <summary>C = alpha·op(A)·op(B) + beta·C over column-major arrays, by cblas_sgemm.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void MatrixMultiplyWithUpdate(
        Transpose transposeA, Transpose transposeB, float alpha, float[] a, int rowsA, int columnsA, float[] b, int rowsB, int columnsB,
        float beta, float[] c)
    {
        var (m, k, n) = Shape(transposeA, transposeB, rowsA, columnsA, rowsB, columnsB);
        if (m == 0 || n == 0) return;
        Loaded();
        fixed (float* pa = a, pb = b, pc = c)
            sgemm(ColumnMajor, Flag(transposeA), Flag(transposeB), m, n, k, alpha, pa, Math.Max(1, rowsA), pb, Math.Max(1, rowsB), beta, pc, m);
    }

    /// <summary>C = alpha·op(A)·op(B) + beta·C over column-major arrays, by cblas_dgemm.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void MatrixMultiplyWithUpdate(
        Transpose transposeA, Transpose transposeB, double alpha, double[] a, int rowsA, int columnsA, double[] b, int rowsB, int columnsB,
        double beta, double[] c)
    {
        var (m, k, n) = Shape(transposeA, transposeB, rowsA, columnsA, rowsB, columnsB);
        if (m == 0 || n == 0) return;
        Loaded();
        fixed (double* pa = a, pb = b, pc = c)
            dgemm(ColumnMajor, Flag(transposeA), Flag(transposeB), m, n, k, alpha, pa, Math.Max(1, rowsA), pb, Math.Max(1, rowsB), beta, pc, m);
    }

    /// <inheritdoc/>
    public override void MatrixMultiply(float[] x, int rowsX, int columnsX, float[] y, int rowsY, int columnsY, float[] result) =>
        MatrixMultiplyWithUpdate(Transpose.DontTranspose, Transpose.DontTranspose, 1f, x, rowsX, columnsX, y, rowsY, columnsY, 0f, result);

    /// <inheritdoc/>
    public override void MatrixMultiply(double[] x, int rowsX, int columnsX, double[] y, int rowsY, int columnsY, double[] result) =>
        MatrixMultiplyWithUpdate(Transpose.DontTranspose, Transpose.DontTranspose, 1.0, x, rowsX, columnsX, y, rowsY, columnsY, 0.0, result);

    /// <summary>result = y + alpha·x, by cblas_saxpy.</summary>
    public override void AddVectorToScaledVector(float[] y, float alpha, float[] x, float[] result)
    {
        if (!ReferenceEquals(y, result)) Array.Copy(y, result, y.Length);
        Loaded();
        fixed (float* px = x, pr = result) saxpy(x.Length, alpha, px, 1, pr, 1);
    }

    /// <summary>result = y + alpha·x, by cblas_daxpy.</summary>
    public override void AddVectorToScaledVector(double[] y, double alpha, double[] x, double[] result)
    {
        if (!ReferenceEquals(y, result)) Array.Copy(y, result, y.Length);
        Loaded();
        fixed (double* px = x, pr = result) daxpy(x.Length, alpha, px, 1, pr, 1);
    }

    /// <summary>result = alpha·x, by cblas_sscal.</summary>
    public override void ScaleArray(float alpha, float[] x, float[] result)
    {
        if (!ReferenceEquals(x, result)) Array.Copy(x, result, x.Length);
        Loaded();
        fixed (float* pr = result) sscal(result.Length, alpha, pr, 1);
    }

    /// <summary>result = alpha·x, by cblas_dscal.</summary>
    public override void ScaleArray(double alpha, double[] x, double[] result)
    {
        if (!ReferenceEquals(x, result)) Array.Copy(x, result, x.Length);
        Loaded();
        fixed (double* pr = result) dscal(result.Length, alpha, pr, 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    static int Flag(Transpose t) => t == Transpose.DontTranspose ? NoTrans : Trans;

    /// <summary>The product's m, k and n from the stored operands' shapes, checking the inner dimensions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    internal static (int M, int K, int N) Shape(Transpose ta, Transpose tb, int rowsA, int columnsA, int rowsB, int columnsB)
    {
        var (m, k) = ta == Transpose.DontTranspose ? (rowsA, columnsA) : (columnsA, rowsA);
        var (k2, n) = tb == Transpose.DontTranspose ? (rowsB, columnsB) : (columnsB, rowsB);
        if (k != k2) throw new ArgumentException($"matrix product: inner dimensions {k} and {k2} differ ({rowsA}×{columnsA} and {rowsB}×{columnsB}, transposes {ta}, {tb}).");
        return (m, k, n);
    }

    /// <inheritdoc/>
    public override void FreeResources()
    {
        // The library stays loaded for the life of the process: other code may still hold its function pointers.
    }
}
