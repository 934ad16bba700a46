using System.Runtime.CompilerServices;
using Hybrid.LinearAlgebra;
using MathNet.Numerics.Providers.LinearAlgebra;

namespace Hybrid;

/// <summary>The matrix providers Hybrid can run on.</summary>
public enum ProviderKind
{
    /// <summary>MathNet.Numerics' managed code: the reference every other provider is checked against.</summary>
    Managed,

    /// <summary>Pure .NET vector code (AVX2/FMA): no native dependency.</summary>
    Simd,

    /// <summary>OpenBLAS through P/Invoke (Debian: libopenblas0-pthread).</summary>
    OpenBlas,

    /// <summary>
    /// The fastest available: OpenBLAS, else Simd, else Managed. With OpenBLAS on a processor with AVX-512, the fused
    /// trainer's float32 dense products run on the Simd provider's Vector512 kernels, faster there than OpenBLAS; where
    /// OpenBLAS has AVX-512 kernels of its own, only its large products with a side of at most 16 (and, on an AMD
    /// processor, those of 2^27 multiply-adds and more).
    /// </summary>
    Best,
}

/// <summary>
/// One switch for the matrix provider under every Hybrid computation (MathNet's
/// <see cref="LinearAlgebraControl.Provider"/>), in the spirit of MathNet's control classes. The environment
/// variable <c>HYBRID_PROVIDER</c> (managed, simd, openblas, best) overrides the default, which is <c>best</c>;
/// <c>HYBRID_OPENBLAS</c> names the OpenBLAS library to load.
/// </summary>
public static class Providers
{
    static readonly object Gate = new();
    static readonly SimdProvider SimdInstance = new();
    // HYBRID_OPENBLAS names the library file (or path) to load instead of the usual names.
    static readonly OpenBlasProvider OpenBlasInstance =
        new(Environment.GetEnvironmentVariable("HYBRID_OPENBLAS") is { Length: > 0 } library ? [library] : null);
    static bool initialized;
    static bool warnedFallback;
    // When Best chose OpenBLAS on a processor with AVX-512: the fused trainer's float32 kernels, whose products (all of
    // them, or the large narrow ones) run on the Simd provider's Vector512 kernels (BestFloat or NarrowFloat).
    static FastKernels<float>? bestFloat;
    static int threads = Environment.GetEnvironmentVariable("OPENBLAS_NUM_THREADS") is { } t && int.TryParse(t, out var n) && n > 0
        ? n
        : Environment.ProcessorCount;

    /// <summary>The provider in use.</summary>
    public static ProviderKind Active { get; private set; } = ProviderKind.Managed;

    /// <summary>Receives a line when <see cref="ProviderKind.Best"/> has to fall back (by default written to standard error, once).</summary>
    public static Action<string> Notice { get; set; } = line => Console.Error.WriteLine(line);

    /// <summary>Threads for matrix products (default: OPENBLAS_NUM_THREADS, else the machine's cores).</summary>
    public static int Threads
    {
        get => threads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            threads = value;
            ApplyThreads();
        }
    }

    /// <summary>Applies HYBRID_PROVIDER, or <see cref="ProviderKind.Best"/>, the first time Hybrid needs a provider.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    internal static void EnsureInitialized()
    {
        if (initialized) return;
        lock (Gate)
        {
            if (initialized) return;
            var requested = Environment.GetEnvironmentVariable("HYBRID_PROVIDER");
            Use(string.IsNullOrWhiteSpace(requested) ? ProviderKind.Best : Parse(requested));
        }
    }

    /// <summary>The provider named managed, simd, openblas or best.</summary>
    /// <exception cref="ArgumentException">Another name.</exception>
    public static ProviderKind Parse(string name) =>
        Enum.TryParse<ProviderKind>(name.Trim(), ignoreCase: true, out var kind) && Enum.IsDefined(kind)
            ? kind
            : throw new ArgumentException($"unknown matrix provider '{name}'; expected managed, simd, openblas or best", nameof(name));

    /// <summary>Uses MathNet's managed provider.</summary>
    public static void UseManaged() => Use(ProviderKind.Managed);

    /// <summary>Uses the pure .NET vector provider.</summary>
    public static void UseSimd() => Use(ProviderKind.Simd);

    /// <summary>Uses OpenBLAS.</summary>
    /// <exception cref="DllNotFoundException">OpenBLAS is not installed; the message names the package to install.</exception>
    public static void UseOpenBlas() => Use(ProviderKind.OpenBlas);

    /// <summary>Uses the fastest available provider: OpenBLAS, else Simd (saying so once), else Managed.</summary>
    public static void UseBest() => Use(ProviderKind.Best);

    /// <summary>Switches to a provider, verifying that it can run.</summary>
    public static void Use(ProviderKind kind)
    {
        lock (Gate)
        {
            ILinearAlgebraProvider provider;
            switch (kind)
            {
                case ProviderKind.Managed:
                    provider = ManagedLinearAlgebraProvider.Instance;
                    break;
                case ProviderKind.Simd:
                    SimdInstance.InitializeVerify();
                    provider = SimdInstance;
                    break;
                case ProviderKind.OpenBlas:
                    OpenBlasInstance.InitializeVerify();
                    provider = OpenBlasInstance;
                    break;
                case ProviderKind.Best:
                    if (OpenBlasInstance.IsAvailable())
                    {
                        Use(ProviderKind.OpenBlas);
                        if (SimdInstance.VectorBits == 512)
                            bestFloat = !HasAvx512Kernels(OpenBlasInstance.Configuration) ? BestFloat : IsAmd() ? LargeFloat : NarrowFloat;
                        return;
                    }

                    if (!warnedFallback)
                    {
                        warnedFallback = true;
                        Notice($"Hybrid: OpenBLAS was not found ({OpenBlasProvider.InstallHint}); using the {(SimdInstance.IsAvailable() ? "Simd" : "Managed")} provider.");
                    }

                    Use(SimdInstance.IsAvailable() ? ProviderKind.Simd : ProviderKind.Managed);
                    return;
                default:
                    throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown provider");
            }

            LinearAlgebraControl.Provider = provider;
            Active = kind;
            bestFloat = null;
            initialized = true;
            ApplyThreads();
        }
    }

    static void ApplyThreads()
    {
        SimdInstance.Threads = threads;
        if (Active == ProviderKind.OpenBlas) OpenBlasInstance.Threads = threads;
    }

    /// <summary>Which provider is active and how it runs, e.g. "openblas (libopenblas.so.0; OpenBLAS 0.3.21 …; 2 threads)".</summary>
    public static string Describe()
    {
        EnsureInitialized();
        return Active switch
        {
            ProviderKind.OpenBlas when bestFloat == BestFloat => $"{OpenBlasInstance}; the fused trainer's float32 dense products on {SimdInstance}",
            ProviderKind.OpenBlas when bestFloat == NarrowFloat => $"{OpenBlasInstance}; the fused trainer's large float32 products with a side of at most 16 on {SimdInstance}",
            ProviderKind.OpenBlas when bestFloat == LargeFloat => $"{OpenBlasInstance}; the fused trainer's float32 products with a side of at most 16 or of 2^27 multiply-adds and more on {SimdInstance}",
            ProviderKind.OpenBlas => OpenBlasInstance.ToString(),
            ProviderKind.Simd => SimdInstance.ToString(),
            _ => $"managed (MathNet.Numerics {typeof(LinearAlgebraControl).Assembly.GetName().Version})",
        };
    }

    static readonly FastKernels<float> SimdFloat = new(SimdInstance, "simd");
    static readonly FastKernels<double> SimdDouble = new(SimdInstance, "simd");
    static readonly FastKernels<float> OpenBlasFloat = new(OpenBlasInstance, "openblas");
    static readonly FastKernels<double> OpenBlasDouble = new(OpenBlasInstance, "openblas");

    // Best's float32 kernels where the processor has AVX-512: the Simd provider's Vector512 products
    // (SimdGemm.Wide.cs) beat OpenBLAS running its AVX2 kernels at every product shape of the fused trainer measured
    // (hybrid bench gemm: 1.3-2.8x on one core). Only these: MathNet's own products stay on OpenBLAS, as does a user who
    // picks OpenBlas by name, float64 (checks, not training speed), and an OpenBLAS with AVX-512 kernels of its own.
    static readonly FastKernels<float> BestFloat = new(SimdInstance, "openblas, products on simd512");

    // Best's float32 kernels where OpenBLAS has AVX-512 kernels of its own: OpenBLAS's products, but for the large
    // narrow ones (a ten-class layer's at batch 256 and more), which the 512-bit product runs 1.4-3x faster
    // (FastKernels.IsNarrow).
    static readonly FastKernels<float> NarrowFloat = new(OpenBlasInstance, "openblas, narrow products on simd512", SimdInstance);

    // Best's float32 kernels where OpenBLAS has AVX-512 kernels of its own on an AMD processor (Zen 4, which runs each
    // 512-bit operation as two 256-bit halves, with OpenBLAS's Cooperlake kernels): NarrowFloat's, and the products of
    // 2^27 multiply-adds and more on Vector512 too. A Zen 4, 2 threads, one-epoch runs by turns: 784-1024-1024-10 b256
    // (its 1024 × 1024 products at 2^28) 15.5 → 13.9 ms a step, 3 of 3 pairs (weight gradient 3.4 → 2.8 ms, input
    // gradient 3.4 → 3.1, forward 3.7 → 3.5). All of the products there moved (BestFloat) lost 784-512-256-10 b128 (2^24)
    // 6 of 8 pairs, and the small products of 784-128-10 ran 3-4x slower, so those stay on OpenBLAS.
    static readonly FastKernels<float> LargeFloat = new(OpenBlasInstance, "openblas, narrow and large products on simd512", SimdInstance, 1L << 27);

    /// <summary>Whether the processor is AMD's (CPUID vendor AuthenticAMD).</summary>
    static bool IsAmd()
    {
        if (!System.Runtime.Intrinsics.X86.X86Base.IsSupported) return false;
        var (_, ebx, ecx, edx) = System.Runtime.Intrinsics.X86.X86Base.CpuId(0, 0);
        Span<int> vendor = [ebx, edx, ecx];
        return System.Text.Encoding.ASCII.GetString(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vendor)) == "AuthenticAMD";
    }

    /// <summary>Whether OpenBLAS's configuration names a core it drives with AVX-512 kernels of its own (then it keeps the products).</summary>
    static bool HasAvx512Kernels(string configuration) =>
        new[] { "SkylakeX", "Cooperlake", "SapphireRapids" }.Any(core => configuration.Contains(core, StringComparison.OrdinalIgnoreCase));

    /// <summary>The training-step kernels of the active provider (float32 or float64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs every batch: optimised from its first call, as the kernels of FastKernels.cs
    public static Core.IKernels<T> Kernels<T>() where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        EnsureInitialized();
        object kernels = (Active, typeof(T)) switch
        {
            (ProviderKind.Simd, var t) when t == typeof(float) => SimdFloat,
            (ProviderKind.Simd, var t) when t == typeof(double) => SimdDouble,
            (ProviderKind.OpenBlas, var t) when t == typeof(float) => bestFloat ?? OpenBlasFloat,
            (ProviderKind.OpenBlas, var t) when t == typeof(double) => OpenBlasDouble,
            _ => Core.ManagedKernels<T>.Instance,
        };
        return (Core.IKernels<T>)kernels;
    }

    /// <summary>Whether a provider can run here (for <see cref="ProviderKind.Best"/>: always).</summary>
    public static bool IsAvailable(ProviderKind kind) => kind switch
    {
        ProviderKind.OpenBlas => OpenBlasInstance.IsAvailable(),
        ProviderKind.Simd => SimdInstance.IsAvailable(),
        _ => true,
    };
}
