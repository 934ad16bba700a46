using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Hybrid.Core;

namespace Hybrid.LinearAlgebra;

/// <summary>
/// The sparse first-layer products: the batch's nonzeros are indexed by rows (for the forward product) and by
/// columns (for the weight gradient), and each product touches only the weight columns of nonzero inputs. An MNIST
/// batch is about one fifth nonzero, so these do about a fifth of the dense products' work; they split it over
/// <see cref="Providers.Threads"/> by nonzeros (a wide layer's forward product by blocks of units, SplitsBlocks).
/// </summary>
public sealed partial class FastKernels<T>
{
    // HYBRID_SPARSE=0 turns the sparse products off (to compare with the dense ones).
    static readonly bool SparseEnabled = Environment.GetEnvironmentVariable("HYBRID_SPARSE") != "0";

    sealed class NonzeroIndex(int capacity, int columns) : SparseIndex
    {
        public readonly int Columns = columns;
        public int Rows;
        public bool Sparse;
        // By rows (CSR): row r's nonzeros are Values[RowStart[r] .. RowStart[r + 1]) in columns ColumnOf[…].
        public readonly int[] RowStart = new int[capacity + 1];
        // Eight spare slots: the vector left-pack stores whole vectors past the last entry.
        public readonly int[] ColumnOf = new int[capacity * columns + 8];
        public readonly T[] Values = new T[capacity * columns + 8];
        // By columns (CSC): column c's nonzeros are ColumnValues[ColumnStart[c] .. ColumnStart[c + 1]) in rows RowOf[…].
        public readonly int[] ColumnStart = new int[columns + 1];
        public readonly int[] Next = new int[columns];
        public readonly int[] RowOf = new int[capacity * columns];
        public readonly T[] ColumnValues = new T[capacity * columns];
        // Whether the by-column lists hold this batch's nonzeros: made when a weight gradient first needs them (ByColumns).
        public bool HasColumns;
        // How ScatterRows shares dW's columns between parts: ColumnShare[c] is the nonzeros before column c in the first
        // samples of the data set last gathered from (ShareOf), a batch's expected share; at first every column weighs one.
        public readonly int[] ColumnShare = Enumerable.Range(0, columns + 1).ToArray();
        public SparseRows<T>? ShareOf;
        // The output gradient transposed (row-major), so that a sample's gradient row is contiguous.
        public T[] Transposed = [];
        public int TransposedOffset;
        // The width of the weight gradient's slices (GradientColumns); Transposed holds the slices one after another.
        public int Slice;
        // Each part's copy of the forward product's block of weights (ForwardRows), made once per width.
        public T[][] Packed = [];
        // Shared lists (SharedList): a group of four input columns of the weight gradient has one list of the samples
        // any of the four has nonzero, in increasing order, with four values each (zero where one of them has none). The
        // group's list starts where its first column's list does, at p in SharedOf and 4p in SharedValues, and is at most
        // as long as its four lists together; SharedLength[c] is the length of the list of the group whose first column is c.
        public int[] SharedOf = [];
        public T[] SharedValues = [];
        public readonly int[] SharedLength = new int[columns];
        // Whether the forward product in progress splits its blocks between the parts (SplitsBlocks), else its rows.
        public bool SplitsBlocks;
        // Whether the weight gradient in progress sums over shared lists (decided by the calling thread, for every part).
        public bool Shared;
        // The product in progress, for the parts that run on the worker threads (delegates made once: no allocation per step).
        public int N, Parts;
        public T[] Weights = [], Bias = [], Output = [];
        // The update fused into the weight gradient, when Fused.
        public UpdateRule Rule;
        public bool Fused;
        public T[] First = [], Second = [];
        public Action<int>? ForwardPart, GradientPart, ScatterPart;

        public override bool IsSparse => Sparse;
    }

    /// <inheritdoc/>
    public SparseIndex CreateIndex(int rows, int columns)
    {
        var index = new NonzeroIndex(rows, columns);
        index.ForwardPart = [MethodImpl(MethodImplOptions.AggressiveOptimization)] (part) => ForwardRows(index, part);
        index.GradientPart = [MethodImpl(MethodImplOptions.AggressiveOptimization)] (part) => GradientColumns(index, part);
        index.ScatterPart = [MethodImpl(MethodImplOptions.AggressiveOptimization)] (part) => ScatterRows(index, part);
        return index;
    }

    // For each 8-bit mask, the lanes of its set bits in order (then zeros): the permutation that left-packs them.
    static readonly int[] PackTable = BuildPackTable();

    static int[] BuildPackTable()
    {
        var table = new int[256 * 8];
        for (var mask = 0; mask < 256; mask++)
        {
            var k = 0;
            for (var lane = 0; lane < 8; lane++)
                if ((mask & (1 << lane)) != 0) table[mask * 8 + k++] = lane;
        }

        return table;
    }

    /// <summary>
    /// Parts of at least this many nonzeros each are worth a thread. 2048: a batch of 32 MNIST digits (about 4,800
    /// nonzeros) is split in two; with the second core free, 32 × 128 units took 0.013 ms instead of 0.022 for the forward
    /// product and 0.028-0.035 instead of 0.053 for the weight gradient with Adam (min over 1,500 calls, runs paired).
    /// On a saturated machine the split costs (0.030 against 0.022 ms), as every fork-join does.
    /// </summary>
    const int NonzerosPerPart = 2048;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int PartsFor(int nonzeros) => Workers.PartsFor(nonzeros, NonzerosPerPart);

    /// <summary>
    /// Part <paramref name="part"/> of <paramref name="parts"/> of the rows (or columns) 0 … count − 1 whose nonzeros begin at
    /// starts[…]: consecutive ranges with about the same number of nonzeros each, together covering every row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static (int First, int Last) Share(int[] starts, int count, int part, int parts)
    {
        long total = starts[count];
        var first = LowerBound(starts.AsSpan(0, count), total * part / parts);
        var last = part == parts - 1 ? count : LowerBound(starts.AsSpan(0, count), total * (part + 1) / parts);
        return (first, last);
    }

    /// <summary>
    /// The first position i in <paramref name="sorted"/> (ascending) with sorted[i] ≥ target, or its length: where part
    /// boundaries fall, and where a row's nonzeros reach a column.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int LowerBound(ReadOnlySpan<int> sorted, long target)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] < target) lo = mid + 1;
            else hi = mid;
        }

        return lo;
    }

    // AggressiveOptimization, as on the dense kernels (FastKernels.cs): optimised from the first batch.
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public unsafe bool Index(SparseIndex index, int rows, Core.Buffer<T> a, double maxDensity)
    {
        var ix = (NonzeroIndex)index;
        ix.Sparse = false;
        if (!SparseEnabled || rows > ix.RowStart.Length - 1) return false;
        var columns = ix.Columns;
        var limit = (int)(maxDensity * rows * columns);
        var data = Host(a);
        var count = 0;
        var w = Vector256<T>.Count;
        var full = (1u << w) - 1;
        fixed (T* source = data, values = ix.Values)
        fixed (int* columnOf = ix.ColumnOf, rowStart = ix.RowStart)
        {
            for (var r = 0; r < rows; r++)
            {
                rowStart[r] = count;
                // A row adds at most `columns` entries: stop before the arrays could overflow the limit.
                if (count > limit) return false;
                var row = source + (long)r * columns;
                var j = 0;
                if (typeof(T) == typeof(float) && Avx2.IsSupported)
                {
                    // Branch-free left-packing: a table turns each vector's nonzero mask into a permutation that moves
                    // the nonzeros (and their column numbers) to the front; the count advances by their number.
                    var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
                    fixed (int* table = PackTable)
                    {
                        for (; j <= columns - 8; j += 8)
                        {
                            var v = Avx.LoadVector256((float*)row + j);
                            var mask = (uint)Avx.MoveMask(Avx.CompareNotEqual(v, Vector256<float>.Zero));
                            var permutation = Avx.LoadVector256(table + mask * 8);
                            Avx.Store((float*)values + count, Avx2.PermuteVar8x32(v, permutation));
                            Avx.Store(columnOf + count, Avx2.PermuteVar8x32(lanes + Vector256.Create(j), permutation));
                            count += BitOperations.PopCount(mask);
                        }
                    }
                }
                else if (Vector256.IsHardwareAccelerated)
                {
                    for (; j <= columns - w; j += w)
                    {
                        // One comparison per vector; then only the set bits are visited.
                        var bits = ~Vector256.Equals(Vector256.Load(row + j), Vector256<T>.Zero).ExtractMostSignificantBits() & full;
                        while (bits != 0)
                        {
                            var at = j + BitOperations.TrailingZeroCount(bits);
                            columnOf[count] = at;
                            values[count++] = row[at];
                            bits &= bits - 1;
                        }
                    }
                }

                for (; j < columns; j++)
                    if (row[j] != T.Zero)
                    {
                        columnOf[count] = j;
                        values[count++] = row[j];
                    }
            }

            if (count > limit) return false;
            rowStart[rows] = count;
        }

        Indexed(ix, rows);
        return true;
    }

    /// <summary>The index holds a batch of <paramref name="rows"/> by rows; its by-column lists are made when needed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Indexed(NonzeroIndex ix, int rows)
    {
        ix.Rows = rows;
        ix.Sparse = true;
        ix.HasColumns = false;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public unsafe bool Gather(SparseIndex index, int rows, SparseRows<T> source, int[] order, int first, double maxDensity)
    {
        var ix = (NonzeroIndex)index;
        ix.Sparse = false;
        if (!SparseEnabled || rows > ix.RowStart.Length - 1) return false;
        if (source.Width != ix.Columns)
            throw new ArgumentException($"the samples have {source.Width} inputs; the index was made for {ix.Columns}", nameof(source));
        if (first < 0 || rows < 0 || first > order.Length - rows)
            throw new ArgumentOutOfRangeException(nameof(first), first, $"a batch of {rows} from position {first} of an order of {order.Length}");
        var limit = (int)(maxDensity * rows * ix.Columns);
        var starts = source.Starts;
        var count = 0;
        for (var r = 0; r < rows; r++)
        {
            var sample = order[first + r];
            if ((uint)sample >= (uint)source.Count)
                throw new ArgumentOutOfRangeException(nameof(order), sample, $"sample {sample} of a data set of {source.Count}");
            count += starts[sample + 1] - starts[sample];
        }

        // The samples' lists lie anywhere in the data set's (72 MB for MNIST): every line of them is asked for now, so
        // that the copies below find most in cache instead of waiting on memory list by list.
        if (Sse.IsSupported && count <= limit)
            fixed (int* columnsOf = source.Columns)
            fixed (T* valuesOf = source.Values)
                for (var r = 0; r < rows; r++)
                {
                    var sample = order[first + r];
                    for (var e = starts[sample]; e < starts[sample + 1]; e += 16)
                    {
                        Sse.Prefetch0(columnsOf + e);
                        Sse.Prefetch0((byte*)(valuesOf + e));
                    }
                }

        if (count > limit) return false;
        if (!ReferenceEquals(ix.ShareOf, source)) ShareFrom(ix, source);
        // Each sample's nonzeros copied into its row (the lists Index would have found in the filled rows).
        count = 0;
        for (var r = 0; r < rows; r++)
        {
            var sample = order[first + r];
            var length = starts[sample + 1] - starts[sample];
            ix.RowStart[r] = count;
            Array.Copy(source.Columns, starts[sample], ix.ColumnOf, count, length);
            Array.Copy(source.Values, starts[sample], ix.Values, count, length);
            count += length;
        }

        ix.RowStart[rows] = count;
        Indexed(ix, rows);
        return true;
    }

    /// <summary>Samples whose nonzeros weigh the columns for ScatterRows's parts (about 300,000 nonzeros of MNIST's).</summary>
    const int ShareSamples = 2000;

    /// <summary>ColumnShare from the nonzeros of the first samples of <paramref name="source"/>, once per data set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ShareFrom(NonzeroIndex ix, SparseRows<T> source)
    {
        var share = ix.ColumnShare;
        Array.Clear(share);
        var end = source.Starts[Math.Min(source.Count, ShareSamples)];
        var columnsOf = source.Columns;
        for (var e = 0; e < end; e++) share[columnsOf[e] + 1]++;
        for (var c = 0; c < ix.Columns; c++) share[c + 1] += share[c];
        ix.ShareOf = source;
    }

    /// <summary>The index's nonzeros by column, from those by row: a counting sort keeps each column's rows in increasing order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void ByColumns(NonzeroIndex ix)
    {
        var rows = ix.Rows;
        var columns = ix.Columns;
        fixed (T* values = ix.Values, columnValues = ix.ColumnValues)
        fixed (int* columnOf = ix.ColumnOf, rowStart = ix.RowStart, columnStart = ix.ColumnStart, next = ix.Next, rowOf = ix.RowOf)
        {
            var count = rowStart[rows];
            new Span<int>(columnStart, columns + 1).Clear();
            for (var e = 0; e < count; e++) columnStart[columnOf[e] + 1]++;
            for (var c = 0; c < columns; c++) columnStart[c + 1] += columnStart[c];
            new Span<int>(columnStart, columns).CopyTo(new Span<int>(next, columns));
            for (var r = 0; r < rows; r++)
            for (var e = rowStart[r]; e < rowStart[r + 1]; e++)
            {
                var position = next[columnOf[e]]++;
                rowOf[position] = r;
                columnValues[position] = values[e];
            }
        }

        ix.HasColumns = true;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void SparseForward(SparseIndex index, int n, Core.Buffer<T> w, Core.Buffer<T> bias, Core.Buffer<T> output)
    {
        var ix = Ready(index);
        ix.Weights = Host(w);
        ix.Bias = Host(bias);
        ix.Output = Host(output);
        CheckLength(ix.Weights, n * ix.Columns, "weights");
        CheckLength(ix.Bias, n, "bias");
        CheckLength(ix.Output, ix.Rows * n, "output");
        ix.N = n;
        // Rows split so that each part has about the same number of nonzeros, or a wide layer's blocks of units.
        ix.Parts = PartsFor(ix.RowStart[ix.Rows]);
        ix.SplitsBlocks = SplitsBlocks(n, ix.Parts);
        if (PacksForward(n))
        {
            if (ix.Packed.Length < ix.Parts) Array.Resize(ref ix.Packed, ix.Parts);
            for (var part = 0; part < ix.Parts; part++)
                if (ix.Packed[part] is null || ix.Packed[part].Length < ForwardBlock * ix.Columns + 64) ix.Packed[part] = new T[ForwardBlock * ix.Columns + 64];
        }

        Workers.Run(ix.Parts, ix.ForwardPart!);
    }

    /// <summary>
    /// Output columns per block of the forward product: the block's slice of the weights (this many weights of every
    /// input, 200 KB for MNIST's 784 inputs in float32) stays in the core's L2 cache while the part's rows are summed.
    /// </summary>
    const int ForwardBlock = 64;

    /// <summary>
    /// The forward block of a layer of n units: with AVX-512 a layer of up to 128 units in one block (eight vectors a
    /// row, one pass over a row's nonzeros: 0.030 → 0.020 ms for 32 rows × 128 units), else ForwardBlock.
    /// </summary>
    static int BlockFor(int n) => Vector512.IsHardwareAccelerated && n <= 2 * ForwardBlock ? n : ForwardBlock;

    /// <summary>
    /// True when a layer of n units has its forward block of weights copied together first: from 2 KB between one input's
    /// weights and the next (512 float32 units), the block's pieces fall into too few cache sets and evict each other
    /// (one thread, 128 × 512: 0.48 → 0.31 ms; 256 × 1024: 2.7 → 1.3 ms; 512 × 2048: 11.4 → 6.4 ms).
    /// </summary>
    static bool PacksForward(int n) => n > BlockFor(n) && n * Unsafe.SizeOf<T>() >= 2048;

    /// <summary>
    /// True when the forward product of a layer of n units gives each of its parts all the rows for a share of the
    /// blocks, rather than a share of the rows for every block: a layer that copies its blocks (PacksForward), with at
    /// least two blocks a part. Each block's weights are then read from memory and copied once a step, not once per
    /// part, and the parts' work is even to a block. The sums are the same. Training, 2 threads, interleaved runs,
    /// SparseForward's ms per step, rows split → blocks split: 784-512-256-10 b128 0.756 / 0.676 / 0.667 / 0.799 → 0.545 /
    /// 0.471 / 0.616 / 0.561; 784-2048-10 b512 9.3 / 7.1 / 15.7 → 6.2 / 6.8 / 10.3; 784-1024-1024-10 b256 2.92 / 2.88 /
    /// 3.04 → 2.04 / 2.98 / 2.68 (a busy host).
    /// </summary>
    static bool SplitsBlocks(int n, int parts) => parts > 1 && PacksForward(n) && BlocksFor(n) >= 2 * parts;

    /// <summary>The forward product's blocks of a layer of n units (BlockFor(n) wide, the last one perhaps narrower).</summary>
    static int BlocksFor(int n) => (n + BlockFor(n) - 1) / BlockFor(n);

    /// <summary>Rows of the forward product summed before they are written (16 floats: a cache line of a column).</summary>
    const int ForwardTile = 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void ForwardRows(NonzeroIndex ix, int part)
    {
        int rows = ix.Rows, n = ix.N, columns = ix.Columns;
        var blockWidth = BlockFor(n);
        // Each part all rows for its share of the blocks, or its rows for every block.
        var blocks = BlocksFor(n);
        var (first, last) = ix.SplitsBlocks ? (0, rows) : Share(ix.RowStart, rows, part, ix.Parts);
        var (firstBlock, lastBlock) = ix.SplitsBlocks ? (blocks * part / ix.Parts, blocks * (part + 1) / ix.Parts) : (0, blocks);
        var o = ix.Output;
        var b = ix.Bias;
        // A sample's output row is a sum of weight columns (contiguous, n long) scaled by its nonzero inputs, made a
        // block of columns at a time: row by row over the whole width would stream every weight of every nonzero
        // input from memory once per sample, where a block's weights are read from memory once per batch and thread.
        // A wide layer's block is first copied together (input after input, ForwardBlock apart): in place its pieces
        // lie n apart, and from 512 units on they fall into a few cache sets and evict each other.
        // The tile and the packed block start on a cache line (64 bytes): a vector load or store across two lines costs two.
        var tileSpace = stackalloc byte[ForwardTile * blockWidth * Unsafe.SizeOf<T>() + 64];
        var row = (T*)(((nint)tileSpace + 63) & ~(nint)63);
        fixed (T* pw = ix.Weights, values = ix.Values, packedSpace = PacksForward(n) ? ix.Packed[part] : null, po = o, pb = b)
        fixed (int* columnOf = ix.ColumnOf, rowStart = ix.RowStart)
        {
            var packed = packedSpace == null ? null : (T*)(((nint)packedSpace + 63) & ~(nint)63);
            for (var j0 = firstBlock * blockWidth; j0 < Math.Min(n, lastBlock * blockWidth); j0 += blockWidth)
            {
                var width = Math.Min(blockWidth, n - j0);
                T* block = pw + j0;
                var stride = n;
                if (packed != null)
                {
                    for (var c = 0; c < columns; c++)
                        new ReadOnlySpan<T>(pw + (long)c * n + j0, width).CopyTo(new Span<T>(packed + (long)c * width, width));
                    block = packed;
                    stride = width;
                }

                // Rows a tile at a time, written column by column: the output is column-major, and one row's values
                // alone would be stored rows apart, each to its own cache line.
                for (var r0 = first; r0 < last; r0 += ForwardTile)
                {
                    var tile = Math.Min(ForwardTile, last - r0);
                    var t = 0;
                    var vectors = width / Vector512<T>.Count;
                    if (Vector512.IsHardwareAccelerated && width % Vector512<T>.Count == 0 && (vectors == 4 || vectors == 8))
                    {
                        // Several rows' sums interleaved (see FourRows), four vectors of each at a time.
                        for (; t + 3 < tile; t += 4)
                        for (var half = 0; half < vectors; half += 4)
                        {
                            var at = half * Vector512<T>.Count;
                            FourRows(row + t * blockWidth + at, blockWidth, block + at, stride, columnOf, values, rowStart + r0 + t);
                        }

                        for (; t + 1 < tile; t += 2)
                        {
                            int s0 = rowStart[r0 + t], s1 = rowStart[r0 + t + 1], s2 = rowStart[r0 + t + 2];
                            TwoRows(row + t * blockWidth, row + (t + 1) * blockWidth, vectors, false, block, stride, columnOf, values, s0, s1, s1, s2);
                        }
                    }

                    for (; t < tile; t++)
                        Combine(row + t * blockWidth, width, block, stride, columnOf, values, rowStart[r0 + t], rowStart[r0 + t + 1]);
                    var j = 0;
                    if (typeof(T) == typeof(float) && Avx.IsSupported && tile % 8 == 0)
                    {
                        // The bias added row by row, then the tile transposed into the output 8 × 8 at a time (written
                        // element by element, the tile's 1,024 values took a fifth of the product's time at 512 × 2048).
                        for (; j <= width - 8; j += 8)
                        {
                            var bias = Avx.LoadVector256((float*)pb + j0 + j);
                            for (var q = 0; q < tile; q++)
                            {
                                var at = (float*)row + q * blockWidth + j;
                                Avx.Store(at, Avx.Add(Avx.LoadVector256(at), bias));
                            }

                            for (var q0 = 0; q0 < tile; q0 += 8)
                                Transpose8x8((float*)row + q0 * blockWidth + j, blockWidth, (float*)po + (long)(j0 + j) * rows + r0 + q0, rows);
                        }
                    }

                    for (; j < width; j++)
                    {
                        var bias = pb[j0 + j];
                        var column = (long)(j0 + j) * rows + r0;
                        for (var q = 0; q < tile; q++) po[column + q] = row[q * blockWidth + j] + bias;
                    }
                }
            }
        }
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void SparseWeightGradient(SparseIndex index, int n, Core.Buffer<T> g, Core.Buffer<T> dw)
    {
        var ix = Ready(index);
        ix.Fused = false;
        WeightGradient(ix, n, g, dw);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Fused only for a batch that takes the weight gradient by rows (ScatterRows), where each block of dW is updated
    /// while it is in L1. A batch by columns returns false, and the caller's update of the whole parameter (Update, its
    /// blocks shared with a worker) runs after the gradient: interleaved with the sums, a column's update at a time, Adam's
    /// reads and writes of W and its moments took the L2 cache that the slice's gradients are read from. Measured on an
    /// Ice Lake (2 cores, real MNIST rows, medians of 300 calls taken by turns), the gradient and Adam together:
    /// 128 × 512 0.68 → 0.57 ms, 256 × 1024 2.44 → 1.98, 512 × 2048 8.53 → 7.32 (one thread: 1.32 → 1.12 at 128 × 512);
    /// prefetching the next columns' operands, or updating 16–64 K elements at a time instead of four columns, did not
    /// close the gap.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool SparseWeightGradientAndUpdate(
        SparseIndex index, int n, Core.Buffer<T> g, Core.Buffer<T> dw, OptimizerSpec optimizer, double lr, int step,
        Core.Buffer<T> w, Core.Buffer<T> m, Core.Buffer<T> v)
    {
        var ix = Ready(index);
        if (!Scatters(ix.Rows, n, SliceFor(ix.Rows, n))) return false;
        var rule = UpdateRule.For(optimizer, lr, step);
        ix.Weights = Host(w);
        ix.First = Host(m);
        ix.Second = Host(v);
        CheckLength(ix.Weights, n * ix.Columns, "weights");
        if (rule.UsesFirst) CheckLength(ix.First, n * ix.Columns, "first moments");
        if (rule.UsesSecond) CheckLength(ix.Second, n * ix.Columns, "second moments");
        (ix.Rule, ix.Fused) = (rule, true);
        try
        {
            WeightGradient(ix, n, g, dw);
        }
        finally
        {
            ix.Fused = false;
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    unsafe void WeightGradient(NonzeroIndex ix, int n, Core.Buffer<T> g, Core.Buffer<T> dw)
    {
        var rows = ix.Rows;
        var gradient = Host(g);
        ix.Output = Host(dw);
        CheckLength(gradient, rows * n, "gradient");
        CheckLength(ix.Output, n * ix.Columns, "weight gradient");
        if (ix.Transposed.Length < rows * n + 64) ix.Transposed = new T[rows * n + 64]; // once per width
        // The slices start on a cache line (their rows, a multiple of 128 units apart, then do too), where the array
        // lies now: GradientColumns reads them at this offset wherever the array has moved.
        fixed (T* t = ix.Transposed) ix.TransposedOffset = (int)((64 - ((nint)t & 63)) & 63) / Unsafe.SizeOf<T>();
        ix.Slice = SliceFor(rows, n);
        for (var j0 = 0; j0 < n; j0 += ix.Slice)
            TransposeInto(gradient.AsSpan(j0 * rows), rows, Math.Min(ix.Slice, n - j0), ix.Transposed.AsSpan(ix.TransposedOffset + j0 * rows));
        ix.N = n;
        ix.Parts = PartsFor(ix.RowStart[rows]);
        if (Scatters(rows, n, ix.Slice))
        {
            // Each part owns a range of dW's columns, of about the same share of the data set's nonzeros.
            Workers.Run(ix.Parts, ix.ScatterPart!);
            return;
        }

        // Columns split so that each part has about the same number of nonzeros; each part owns its columns of dW.
        if (!ix.HasColumns) ByColumns(ix);
        ix.Shared = SharesGradient(rows, n);
        if (ix.Shared) EnsureShared(ix, ix.RowStart[rows]);
        Workers.Run(ix.Parts, ix.GradientPart!);
    }

    /// <summary>
    /// The units of one slice of the weight gradient for a batch of <paramref name="rows"/> rows: all n, or a multiple of
    /// 128 whose gradients (rows × slice) stay in a core's L2 cache while every input column is summed.
    /// </summary>
    static int SliceFor(int rows, int n)
    {
        var slice = Math.Max(1, GradientSliceBytes / Unsafe.SizeOf<T>() / Math.Max(1, rows));
        return slice >= n ? n : Math.Max(128, slice & ~127);
    }

    /// <summary>
    /// Batches of fewer rows than this take the weight gradient by rows (ScatterRows); larger ones by columns
    /// (GradientColumns), whose four-column kernel starts at 128 rows.
    /// </summary>
    const int ScatterBelow = 128;

    /// <summary>For tests: the calling thread's ScatterBelow in its place, when set (0: every batch by columns).</summary>
    [ThreadStatic] internal static int? ScatterBelowOverride;

    /// <summary>
    /// True when a batch of <paramref name="rows"/> rows takes the weight gradient by rows: a small batch whose output
    /// gradient is one slice (every sample's n gradients contiguous).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static bool Scatters(int rows, int n, int slice) => rows < (ScatterBelowOverride ?? ScatterBelow) && slice >= n;

    /// <summary>
    /// dW's columns per block of ScatterRows: the block's weight gradients (this many columns × n) stay in the core's
    /// L1 cache (48 KB here) while every row's nonzeros in the block are added into them.
    /// </summary>
    const int ScatterBlockBytes = 16 * 1024;

    /// <summary>
    /// Part <paramref name="part"/> of the weight gradient by rows, for small batches: no by-column lists are needed
    /// (ByColumns, a counting sort over the batch's nonzeros, took 31 µs of a 32-row step here, a quarter of the time of
    /// the sparse products). 784-128-10, the median epochs of three runs each, taken by turns: b64 0.30–0.32 → 0.25–0.28
    /// s; b32 0.36–0.42 → 0.32–0.43 s, from no change to a quarter faster.
    /// The part's columns of dW are made a block at a time: the block is cleared, then each row adds its nonzeros in
    /// the block, x · (its gradient row), in increasing row order. That is the order, and the operations, of
    /// GradientColumns's sums (Combine: a multiply-add per element over whole Vector256 lanes, a multiply and an add
    /// for the n mod 8 left), so every element is the same. Each row's nonzeros are in increasing column order (as
    /// Index finds them and SparseRows promises), so a cursor per row moves through the blocks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void ScatterRows(NonzeroIndex ix, int part)
    {
        int columns = ix.Columns, n = ix.N, rows = ix.Rows;
        var (first, last) = Share(ix.ColumnShare, columns, part, ix.Parts);
        var block = Math.Max(1, ScatterBlockBytes / Unsafe.SizeOf<T>() / n);
        Span<int> cursor = rows <= 256 ? stackalloc int[rows] : new int[rows];
        fixed (T* transposed = ix.Transposed, values = ix.Values, pd = ix.Output)
        fixed (int* columnOf = ix.ColumnOf, rowStart = ix.RowStart)
        {
            var pt = transposed + ix.TransposedOffset;
            // Each row's first nonzero at or after the part's first column.
            for (var r = 0; r < rows; r++)
                cursor[r] = rowStart[r] + LowerBound(new ReadOnlySpan<int>(columnOf + rowStart[r], rowStart[r + 1] - rowStart[r]), first);

            for (var c0 = first; c0 < last; c0 += block)
            {
                var c1 = Math.Min(last, c0 + block);
                new Span<T>(pd + (long)c0 * n, (c1 - c0) * n).Clear();
                for (var r = 0; r < rows; r++)
                {
                    int e = cursor[r], end = rowStart[r + 1], stop = e;
                    while (stop < end && columnOf[stop] < c1) stop++;
                    cursor[r] = stop;
                    var g = pt + (long)r * n;
                    if (Vector512.IsHardwareAccelerated && n % (8 * Vector512<T>.Count) == 0)
                        ScatterWide(pd, n, g, columnOf, values, e, stop);
                    else if (Vector256.IsHardwareAccelerated && n % (8 * Vector256<T>.Count) == 0)
                        ScatterNarrow(pd, n, g, columnOf, values, e, stop);
                    else
                        for (; e < stop; e++) AddScaled(pd + (long)columnOf[e] * n, values[e], g, n);
                }

                Update(ix, c0 * n, (c1 - c0) * n);
            }
        }
    }

    /// <summary>
    /// AddScaled for the nonzeros [start, end) of one row, for a width that is a multiple of eight AVX-512 vectors:
    /// eight vectors of the row's gradient are loaded once and kept in registers while every nonzero adds into its
    /// column, so the loop reads only the dW it writes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void ScatterWide(T* pd, int n, T* g, int* columnOf, T* values, int start, int end)
    {
        var x5 = Vector512<T>.Count;
        for (var j = 0; j < n; j += 8 * x5)
        {
            var s = g + j;
            Vector512<T> g0 = Vector512.Load(s), g1 = Vector512.Load(s + x5), g2 = Vector512.Load(s + 2 * x5), g3 = Vector512.Load(s + 3 * x5);
            Vector512<T> g4 = Vector512.Load(s + 4 * x5), g5 = Vector512.Load(s + 5 * x5), g6 = Vector512.Load(s + 6 * x5), g7 = Vector512.Load(s + 7 * x5);
            for (var e = start; e < end; e++)
            {
                var x = Vector512.Create(values[e]);
                var d = pd + (long)columnOf[e] * n + j;
                Fma(x, g0, Vector512.Load(d)).Store(d);
                Fma(x, g1, Vector512.Load(d + x5)).Store(d + x5);
                Fma(x, g2, Vector512.Load(d + 2 * x5)).Store(d + 2 * x5);
                Fma(x, g3, Vector512.Load(d + 3 * x5)).Store(d + 3 * x5);
                Fma(x, g4, Vector512.Load(d + 4 * x5)).Store(d + 4 * x5);
                Fma(x, g5, Vector512.Load(d + 5 * x5)).Store(d + 5 * x5);
                Fma(x, g6, Vector512.Load(d + 6 * x5)).Store(d + 6 * x5);
                Fma(x, g7, Vector512.Load(d + 7 * x5)).Store(d + 7 * x5);
            }
        }
    }

    /// <summary>
    /// ScatterWide with Vector256, for a width that is a multiple of eight of them (AVX2): eight vectors of the row's
    /// gradient stay in registers (ten of the sixteen in use), where AddScaled loads them again for every nonzero.
    /// 784-128-10 on a Zen 3 (2 threads, 4 interleaved runs each), SparseWeightGradient's median ms per step: b32 0.126 →
    /// 0.112, b64 0.184 → 0.155.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void ScatterNarrow(T* pd, int n, T* g, int* columnOf, T* values, int start, int end)
    {
        var w = Vector256<T>.Count;
        for (var j = 0; j < n; j += 8 * w)
        {
            var s = g + j;
            Vector256<T> g0 = Vector256.Load(s), g1 = Vector256.Load(s + w), g2 = Vector256.Load(s + 2 * w), g3 = Vector256.Load(s + 3 * w);
            Vector256<T> g4 = Vector256.Load(s + 4 * w), g5 = Vector256.Load(s + 5 * w), g6 = Vector256.Load(s + 6 * w), g7 = Vector256.Load(s + 7 * w);
            for (var e = start; e < end; e++)
            {
                var x = Vector256.Create(values[e]);
                var d = pd + (long)columnOf[e] * n + j;
                Fma(x, g0, Vector256.Load(d)).Store(d);
                Fma(x, g1, Vector256.Load(d + w)).Store(d + w);
                Fma(x, g2, Vector256.Load(d + 2 * w)).Store(d + 2 * w);
                Fma(x, g3, Vector256.Load(d + 3 * w)).Store(d + 3 * w);
                Fma(x, g4, Vector256.Load(d + 4 * w)).Store(d + 4 * w);
                Fma(x, g5, Vector256.Load(d + 5 * w)).Store(d + 5 * w);
                Fma(x, g6, Vector256.Load(d + 6 * w)).Store(d + 6 * w);
                Fma(x, g7, Vector256.Load(d + 7 * w)).Store(d + 7 * w);
            }
        }
    }

    /// <summary>into[0..n) += x · source[0..n): Combine's operations for one nonzero (a multiply-add per element over
    /// whole Vector256 lanes, then a multiply and an add).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void AddScaled(T* into, T x, T* source, int n)
    {
        var j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var x5 = Vector512<T>.Count;
            var vx = Vector512.Create(x);
            for (; j <= n - 4 * x5; j += 4 * x5)
            {
                Fma(vx, Vector512.Load(source + j), Vector512.Load(into + j)).Store(into + j);
                Fma(vx, Vector512.Load(source + j + x5), Vector512.Load(into + j + x5)).Store(into + j + x5);
                Fma(vx, Vector512.Load(source + j + 2 * x5), Vector512.Load(into + j + 2 * x5)).Store(into + j + 2 * x5);
                Fma(vx, Vector512.Load(source + j + 3 * x5), Vector512.Load(into + j + 3 * x5)).Store(into + j + 3 * x5);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            var w = Vector256<T>.Count;
            var vx = Vector256.Create(x);
            for (; j <= n - w; j += w) Fma(vx, Vector256.Load(source + j), Vector256.Load(into + j)).Store(into + j);
        }

        for (; j < n; j++) into[j] += x * source[j];
    }

    /// <summary>
    /// t = g's transpose in memory: g holds a rows × n matrix column-major, t receives it row-major (each sample's n
    /// gradients contiguous). 8 × 8 tiles in AVX registers for float (a scalar transpose writes every element to a
    /// different cache line: at 128 × 512 it took 0.17 ms, a third of the time of the sparse product it prepares).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void TransposeInto(Span<T> g, int rows, int n, Span<T> t)
    {
        fixed (T* source = g, target = t)
        {
            var r0 = 0;
            if (typeof(T) == typeof(float) && Avx.IsSupported)
            {
                float* s = (float*)source, d = (float*)target;
                for (; r0 <= rows - 8; r0 += 8)
                {
                    var j0 = 0;
                    for (; j0 <= n - 8; j0 += 8) Transpose8x8(s + (long)j0 * rows + r0, rows, d + (long)r0 * n + j0, n);
                    for (; j0 < n; j0++)
                    for (var r = r0; r < r0 + 8; r++)
                        d[(long)r * n + j0] = s[(long)j0 * rows + r];
                }
            }

            // The rows left (every row without AVX), sixteen columns at a time.
            for (var j0 = 0; j0 < n; j0 += 16)
            for (var r = r0; r < rows; r++)
            for (var j = j0; j < Math.Min(j0 + 16, n); j++)
                target[(long)r * n + j] = source[(long)j * rows + r];
        }
    }

    /// <summary>The 8 × 8 tile at s (rows sStride apart) transposed into d (rows dStride apart).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void Transpose8x8(float* s, int sStride, float* d, int dStride)
    {
        var a0 = Avx.LoadVector256(s);
        var a1 = Avx.LoadVector256(s + sStride);
        var a2 = Avx.LoadVector256(s + 2 * sStride);
        var a3 = Avx.LoadVector256(s + 3 * sStride);
        var a4 = Avx.LoadVector256(s + 4 * sStride);
        var a5 = Avx.LoadVector256(s + 5 * sStride);
        var a6 = Avx.LoadVector256(s + 6 * sStride);
        var a7 = Avx.LoadVector256(s + 7 * sStride);
        // Interleave pairs of rows, then pairs of pairs, then swap the 128-bit halves.
        var b0 = Avx.UnpackLow(a0, a1);
        var b1 = Avx.UnpackHigh(a0, a1);
        var b2 = Avx.UnpackLow(a2, a3);
        var b3 = Avx.UnpackHigh(a2, a3);
        var b4 = Avx.UnpackLow(a4, a5);
        var b5 = Avx.UnpackHigh(a4, a5);
        var b6 = Avx.UnpackLow(a6, a7);
        var b7 = Avx.UnpackHigh(a6, a7);
        var c0 = Avx.Shuffle(b0, b2, 0x44);
        var c1 = Avx.Shuffle(b0, b2, 0xEE);
        var c2 = Avx.Shuffle(b1, b3, 0x44);
        var c3 = Avx.Shuffle(b1, b3, 0xEE);
        var c4 = Avx.Shuffle(b4, b6, 0x44);
        var c5 = Avx.Shuffle(b4, b6, 0xEE);
        var c6 = Avx.Shuffle(b5, b7, 0x44);
        var c7 = Avx.Shuffle(b5, b7, 0xEE);
        Avx.Store(d, Avx.Permute2x128(c0, c4, 0x20));
        Avx.Store(d + dStride, Avx.Permute2x128(c1, c5, 0x20));
        Avx.Store(d + 2 * dStride, Avx.Permute2x128(c2, c6, 0x20));
        Avx.Store(d + 3 * dStride, Avx.Permute2x128(c3, c7, 0x20));
        Avx.Store(d + 4 * dStride, Avx.Permute2x128(c0, c4, 0x31));
        Avx.Store(d + 5 * dStride, Avx.Permute2x128(c1, c5, 0x31));
        Avx.Store(d + 6 * dStride, Avx.Permute2x128(c2, c6, 0x31));
        Avx.Store(d + 7 * dStride, Avx.Permute2x128(c3, c7, 0x31));
    }

    /// <summary>
    /// The most bytes of the transposed output gradient one slice of the weight gradient reads (see GradientColumns):
    /// a quarter of a core's L2 cache here, so that the slice stays there while every input column is summed.
    /// </summary>
    const int GradientSliceBytes = 512 * 1024;

    /// <summary>
    /// The narrowest layer whose weight gradient takes shared lists (FourShared): each group's list is then read for
    /// at least eight 64-unit pieces, which pays for making it. Real MNIST batches, the gradient alone, fastest of 60-200
    /// calls taken by turns, FourRows → FourShared ms: 128 × 512 (one thread) 0.410 → 0.342; 256 × 1024 (two) 1.82 → 1.43;
    /// 512 × 2048 (two) 5.98 → 4.01; but 128 × 256 0.194 → 0.199 and 128 × 128 0.089 → 0.131. In training (784-2048-10
    /// b512, Adam fused in, 4 interleaved runs) SparseWeightGradient's ms per step went 12.0 / 11.2 / 9.8 / 10.0 → 9.5 /
    /// 9.1 / 8.0 / 10.0, with the same loss.
    /// </summary>
    const int SharedFrom = 512;

    /// <summary>For tests: the calling thread's SharedFrom in its place, when set (int.MaxValue: never shared).</summary>
    [ThreadStatic] internal static int? SharedFromOverride;

    /// <summary>
    /// True when the weight gradient of a batch of rows sums its four-column groups over shared lists (FourShared with
    /// AVX-512, FourShared256 with AVX2 only).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static bool SharesGradient(int rows, int n) =>
        (Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated) && rows >= FourColumnsFrom && n >= (SharedFromOverride ?? SharedFrom);

    /// <summary>The shared lists' arrays hold at least <paramref name="nonzeros"/> entries (made larger once per size).</summary>
    static void EnsureShared(NonzeroIndex ix, int nonzeros)
    {
        if (ix.SharedOf.Length < nonzeros) ix.SharedOf = new int[nonzeros];
        if (ix.SharedValues.Length < 4 * nonzeros) ix.SharedValues = new T[4 * nonzeros];
    }

    /// <summary>
    /// The shared list of four sorted lists (list t: entries [starts[t], starts[t + 1]) of which and values): every index
    /// any of them holds, in increasing order, into sharedOf, with list t's value for it at values4[4k + t] (zero where
    /// list t lacks it). Returns its length, at most the four lists' together.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe int SharedList(int* starts, int* which, T* values, int* sharedOf, T* values4)
    {
        int p0 = starts[0], p1 = starts[1], p2 = starts[2], p3 = starts[3];
        int e0 = p1, e1 = p2, e2 = p3, e3 = starts[4];
        var count = 0;
        while (true)
        {
            var h0 = p0 < e0 ? which[p0] : int.MaxValue;
            var h1 = p1 < e1 ? which[p1] : int.MaxValue;
            var h2 = p2 < e2 ? which[p2] : int.MaxValue;
            var h3 = p3 < e3 ? which[p3] : int.MaxValue;
            var m = Math.Min(Math.Min(h0, h1), Math.Min(h2, h3));
            if (m == int.MaxValue) return count;
            sharedOf[count] = m;
            var u = values4 + 4L * count;
            u[0] = h0 == m ? values[p0++] : T.Zero;
            u[1] = h1 == m ? values[p1++] : T.Zero;
            u[2] = h2 == m ? values[p2++] : T.Zero;
            u[3] = h3 == m ? values[p3++] : T.Zero;
            count++;
        }
    }

    /// <summary>The fewest rows whose weight gradient sums four input columns at a time (FourRows, FourShared).</summary>
    const int FourColumnsFrom = 128;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void GradientColumns(NonzeroIndex ix, int part)
    {
        int columns = ix.Columns, n = ix.N, rows = ix.Rows, slice = ix.Slice;
        var (first, last) = Share(ix.ColumnStart, columns, part, ix.Parts);
        // dW's column c (n long) is the sum of the gradient rows of the samples whose input c is nonzero, scaled by it.
        // A wide layer's gradient rows (512 samples × 2048 units: 4 MB) do not fit in a core's cache, and every input
        // column reads most of them: the columns are then made a slice of units at a time, from the slice's gradients
        // (rows × slice, stored together by WeightGradient), which stay in L2 for all the columns. Every element's sum
        // is the same, in the same order.
        fixed (T* transposed = ix.Transposed, values = ix.ColumnValues, pd = ix.Output, sharedValues = ix.SharedValues)
        fixed (int* rowOf = ix.RowOf, columnStart = ix.ColumnStart, sharedOf = ix.SharedOf, sharedLength = ix.SharedLength)
        {
            var pt = transposed + ix.TransposedOffset;
            var x5 = Vector512<T>.Count;
            // A wide layer's four-column groups get their shared lists (of samples) once, for every slice and piece.
            var shared = ix.Shared;
            if (shared)
                for (var c = first; c + 3 < last; c += 4)
                {
                    var at = columnStart[c];
                    sharedLength[c] = SharedList(columnStart + c, rowOf, values, sharedOf + at, sharedValues + 4L * at);
                }

            for (var j0 = 0; j0 < n; j0 += slice)
            {
                var width = Math.Min(slice, n - j0);
                var c = first;
                // Four input columns at a time, interleaved (FourRows: the same sums in the same order as Combine's); from
                // 128 rows: one thread, 512 × 2048 7.2 → 5.5 ms, but 32 × 128 0.018 → 0.020 ms (columns of a few rows each).
                if (Vector512.IsHardwareAccelerated && width % (4 * x5) == 0 && rows >= FourColumnsFrom)
                    for (; c + 3 < last; c += 4)
                    {
                        var list = columnStart[c];
                        for (var v = 0; v < width; v += 4 * x5)
                            if (shared)
                                FourShared(pd + c * n + j0 + v, n, pt + (long)j0 * rows + v, width, sharedOf + list, sharedValues + 4L * list, sharedLength[c]);
                            else
                                FourRows(pd + c * n + j0 + v, n, pt + (long)j0 * rows + v, width, rowOf, values, columnStart + c);
                    }

                // Without AVX-512 (or for a width that is no multiple of four Vector512): the groups over their shared lists, two
                // Vector256 of each column at a time.
                else if (shared && width % (2 * Vector256<T>.Count) == 0)
                    for (; c + 3 < last; c += 4)
                    {
                        var list = columnStart[c];
                        for (var v = 0; v < width; v += 2 * Vector256<T>.Count)
                            FourShared256(pd + c * n + j0 + v, n, pt + (long)j0 * rows + v, width, sharedOf + list, sharedValues + 4L * list, sharedLength[c]);
                    }

                for (; c < last; c++)
                    Combine(pd + c * n + j0, width, pt + (long)j0 * rows, width, rowOf, values, columnStart[c], columnStart[c + 1]);
            }
        }
    }

    /// <summary>The fused update (when there is one) of the weights at [at, at + width), whose gradient is complete.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Update(NonzeroIndex ix, int at, int width)
    {
        // The rules are elementwise: updating a piece at a time gives the whole-matrix update's numbers.
        if (ix.Fused) ix.Rule.Apply(ix.Weights, ix.Output, ix.First, ix.Second, at, width);
    }

    /// <summary>
    /// into[0..n) = Σₑ values[e] · source[which[e]·stride ..], for e in [start, end), eight vectors at a time, then four
    /// (four chains of multiply-adds where one vector at a time has one, waiting on its last), then one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void Combine(T* into, int n, T* source, int stride, int* which, T* values, int start, int end)
    {
        var w = Vector256<T>.Count;
        var j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // AVX-512: the same sums (each element's products added in the same order), half the instructions.
            var x5 = Vector512<T>.Count;
            for (; j <= n - 8 * x5; j += 8 * x5)
            {
                Vector512<T> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                for (var e = start; e < end; e++)
                {
                    var x = Vector512.Create(values[e]);
                    var s = source + (long)which[e] * stride + j;
                    a0 = Fma(x, Vector512.Load(s), a0);
                    a1 = Fma(x, Vector512.Load(s + x5), a1);
                    a2 = Fma(x, Vector512.Load(s + 2 * x5), a2);
                    a3 = Fma(x, Vector512.Load(s + 3 * x5), a3);
                    a4 = Fma(x, Vector512.Load(s + 4 * x5), a4);
                    a5 = Fma(x, Vector512.Load(s + 5 * x5), a5);
                    a6 = Fma(x, Vector512.Load(s + 6 * x5), a6);
                    a7 = Fma(x, Vector512.Load(s + 7 * x5), a7);
                }

                a0.Store(into + j);
                a1.Store(into + j + x5);
                a2.Store(into + j + 2 * x5);
                a3.Store(into + j + 3 * x5);
                a4.Store(into + j + 4 * x5);
                a5.Store(into + j + 5 * x5);
                a6.Store(into + j + 6 * x5);
                a7.Store(into + j + 7 * x5);
            }

            for (; j <= n - 4 * x5; j += 4 * x5)
            {
                Vector512<T> a0 = default, a1 = default, a2 = default, a3 = default;
                for (var e = start; e < end; e++)
                {
                    var x = Vector512.Create(values[e]);
                    var s = source + (long)which[e] * stride + j;
                    a0 = Fma(x, Vector512.Load(s), a0);
                    a1 = Fma(x, Vector512.Load(s + x5), a1);
                    a2 = Fma(x, Vector512.Load(s + 2 * x5), a2);
                    a3 = Fma(x, Vector512.Load(s + 3 * x5), a3);
                }

                a0.Store(into + j);
                a1.Store(into + j + x5);
                a2.Store(into + j + 2 * x5);
                a3.Store(into + j + 3 * x5);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; j <= n - 8 * w; j += 8 * w)
            {
                Vector256<T> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                for (var e = start; e < end; e++)
                {
                    var x = Vector256.Create(values[e]);
                    var s = source + (long)which[e] * stride + j;

                    a0 = Fma(x, Vector256.Load(s), a0);
                    a1 = Fma(x, Vector256.Load(s + w), a1);
                    a2 = Fma(x, Vector256.Load(s + 2 * w), a2);
                    a3 = Fma(x, Vector256.Load(s + 3 * w), a3);
                    a4 = Fma(x, Vector256.Load(s + 4 * w), a4);
                    a5 = Fma(x, Vector256.Load(s + 5 * w), a5);
                    a6 = Fma(x, Vector256.Load(s + 6 * w), a6);
                    a7 = Fma(x, Vector256.Load(s + 7 * w), a7);
                }

                a0.Store(into + j);
                a1.Store(into + j + w);
                a2.Store(into + j + 2 * w);
                a3.Store(into + j + 3 * w);
                a4.Store(into + j + 4 * w);
                a5.Store(into + j + 5 * w);
                a6.Store(into + j + 6 * w);
                a7.Store(into + j + 7 * w);
            }

            for (; j <= n - 4 * w; j += 4 * w)
            {
                Vector256<T> a0 = default, a1 = default, a2 = default, a3 = default;
                for (var e = start; e < end; e++)
                {
                    var x = Vector256.Create(values[e]);
                    var s = source + (long)which[e] * stride + j;
                    a0 = Fma(x, Vector256.Load(s), a0);
                    a1 = Fma(x, Vector256.Load(s + w), a1);
                    a2 = Fma(x, Vector256.Load(s + 2 * w), a2);
                    a3 = Fma(x, Vector256.Load(s + 3 * w), a3);
                }

                a0.Store(into + j);
                a1.Store(into + j + w);
                a2.Store(into + j + 2 * w);
                a3.Store(into + j + 3 * w);
            }

            for (; j <= n - w; j += w)
            {
                Vector256<T> a = default;
                for (var e = start; e < end; e++)
                    a = Fma(Vector256.Create(values[e]), Vector256.Load(source + (long)which[e] * stride + j), a);
                a.Store(into + j);
            }
        }

        for (; j < n; j++)
        {
            var a = T.Zero;
            for (var e = start; e < end; e++) a += values[e] * source[(long)which[e] * stride + j];
            into[j] = a;
        }
    }

    /// <summary>
    /// Combine for four consecutive rows of four AVX-512 vectors each (rows stride apart in into; row t's nonzeros are
    /// starts[t] .. starts[t + 1]): their sums interleaved, sixteen independent chains of multiply-adds where one row has
    /// four, each waiting on the last (a fused multiply-add's latency is four cycles). Every row's sum is the same, in
    /// the same order, as Combine's. One thread, 512 × 2048: 7.0 → 4.9 ms (min of 60, MNIST images).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void FourRows(T* into, int stride, T* source, int sourceStride, int* which, T* values, int* starts)
    {
        var x5 = Vector512<T>.Count;
        Vector512<T> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<T> c0 = default, c1 = default, c2 = default, c3 = default, d0 = default, d1 = default, d2 = default, d3 = default;
        int sa = starts[0], sb = starts[1], sc = starts[2], sd = starts[3], se = starts[4];
        var common = Math.Min(Math.Min(sb - sa, sc - sb), Math.Min(sd - sc, se - sd));
        for (var k = 0; k < common; k++)
        {
            var xa = Vector512.Create(values[sa + k]);
            var xb = Vector512.Create(values[sb + k]);
            var xc = Vector512.Create(values[sc + k]);
            var xd = Vector512.Create(values[sd + k]);
            var pa = source + (long)which[sa + k] * sourceStride;
            var pb = source + (long)which[sb + k] * sourceStride;
            var pc = source + (long)which[sc + k] * sourceStride;
            var pd = source + (long)which[sd + k] * sourceStride;
            a0 = Fma(xa, Vector512.Load(pa), a0);
            b0 = Fma(xb, Vector512.Load(pb), b0);
            c0 = Fma(xc, Vector512.Load(pc), c0);
            d0 = Fma(xd, Vector512.Load(pd), d0);
            a1 = Fma(xa, Vector512.Load(pa + x5), a1);
            b1 = Fma(xb, Vector512.Load(pb + x5), b1);
            c1 = Fma(xc, Vector512.Load(pc + x5), c1);
            d1 = Fma(xd, Vector512.Load(pd + x5), d1);
            a2 = Fma(xa, Vector512.Load(pa + 2 * x5), a2);
            b2 = Fma(xb, Vector512.Load(pb + 2 * x5), b2);
            c2 = Fma(xc, Vector512.Load(pc + 2 * x5), c2);
            d2 = Fma(xd, Vector512.Load(pd + 2 * x5), d2);
            a3 = Fma(xa, Vector512.Load(pa + 3 * x5), a3);
            b3 = Fma(xb, Vector512.Load(pb + 3 * x5), b3);
            c3 = Fma(xc, Vector512.Load(pc + 3 * x5), c3);
            d3 = Fma(xd, Vector512.Load(pd + 3 * x5), d3);
        }

        Store4(into, x5, a0, a1, a2, a3);
        Store4(into + stride, x5, b0, b1, b2, b3);
        Store4(into + 2 * stride, x5, c0, c1, c2, c3);
        Store4(into + 3 * stride, x5, d0, d1, d2, d3);
        // The rows' remaining nonzeros, two rows at a time, continuing from the partial sums.
        TwoRows(into, into + stride, 4, true, source, sourceStride, which, values, sa + common, sb, sb + common, sc);
        TwoRows(into + 2 * stride, into + 3 * stride, 4, true, source, sourceStride, which, values, sc + common, sd, sd + common, se);
    }

    /// <summary>
    /// FourRows over a group's shared list (SharedList, count entries): each entry's four vectors of source are loaded
    /// once and multiplied into all four rows' sums, by that row's value. A row's zero adds nothing to its sum (a zero
    /// times a finite number, added to a sum that starts at +0), so every row's sum is FourRows's, in the same order; the
    /// loads of source, which FourRows makes once per row and nonzero, are made once per entry. In MNIST batches four
    /// neighbouring input columns share a list 0.67 of whose values are nonzero: a third of FourRows's loads for 1.5
    /// times its multiply-adds, which a wide weight gradient (bound by its loads from L2) gains by. Four rows of the
    /// forward product share one only 0.49 nonzero: twice the multiply-adds, and it ran 5-10% slower than FourRows there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void FourShared(T* into, int stride, T* source, int sourceStride, int* which, T* values4, int count)
    {
        var x5 = Vector512<T>.Count;
        Vector512<T> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<T> c0 = default, c1 = default, c2 = default, c3 = default, d0 = default, d1 = default, d2 = default, d3 = default;
        for (var k = 0; k < count; k++)
        {
            var p = source + (long)which[k] * sourceStride;
            var s0 = Vector512.Load(p);
            var s1 = Vector512.Load(p + x5);
            var s2 = Vector512.Load(p + 2 * x5);
            var s3 = Vector512.Load(p + 3 * x5);
            var x = values4 + 4L * k;
            var xa = Vector512.Create(x[0]);
            var xb = Vector512.Create(x[1]);
            var xc = Vector512.Create(x[2]);
            var xd = Vector512.Create(x[3]);
            a0 = Fma(xa, s0, a0);
            b0 = Fma(xb, s0, b0);
            c0 = Fma(xc, s0, c0);
            d0 = Fma(xd, s0, d0);
            a1 = Fma(xa, s1, a1);
            b1 = Fma(xb, s1, b1);
            c1 = Fma(xc, s1, c1);
            d1 = Fma(xd, s1, d1);
            a2 = Fma(xa, s2, a2);
            b2 = Fma(xb, s2, b2);
            c2 = Fma(xc, s2, c2);
            d2 = Fma(xd, s2, d2);
            a3 = Fma(xa, s3, a3);
            b3 = Fma(xb, s3, b3);
            c3 = Fma(xc, s3, c3);
            d3 = Fma(xd, s3, d3);
        }

        Store4(into, x5, a0, a1, a2, a3);
        Store4(into + stride, x5, b0, b1, b2, b3);
        Store4(into + 2 * stride, x5, c0, c1, c2, c3);
        Store4(into + 3 * stride, x5, d0, d1, d2, d3);
    }

    /// <summary>
    /// FourShared for a processor with AVX2 and no AVX-512: each entry's two Vector256 of source are loaded once and
    /// multiplied into four rows' sums (eight chains of multiply-adds, eleven of the sixteen registers), in the same
    /// order, so every element is Combine's. Where Combine makes one load from L2 per multiply-add, this makes one per four
    /// (a third of them on zeros in MNIST batches). Zen 3
    /// (2 threads, real MNIST batches, the gradient alone, fastest of 60-200 calls, 4 processes each taken by turns),
    /// Combine → FourShared256 ms: 512 × 2048 7.0 / 5.9 / 10.6 / 6.1 → 7.5 / 5.1 / 6.0 / 5.2; 256 × 1024 2.63 / 1.76 /
    /// 1.40 / 1.93 → 1.89 / 1.30 / 1.22 / 1.22; 128 × 512 0.59 / 0.41 / 0.38 / 0.43 → 0.50 / 0.44 / 0.30 / 0.29. In
    /// training, SparseWeightGradient's ms per step (3 pairs by turns, the same loss): 784-1024-1024-10 b256 2.41 / 2.62
    /// / 2.50 → 2.46 / 2.39 / 2.18; 784-512-256-10 b128 0.74 / 0.64 / 0.65 → 0.81 / 0.58 / 0.56.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void FourShared256(T* into, int stride, T* source, int sourceStride, int* which, T* values4, int count)
    {
        var w = Vector256<T>.Count;
        Vector256<T> a0 = default, a1 = default, b0 = default, b1 = default, c0 = default, c1 = default, d0 = default, d1 = default;
        for (var k = 0; k < count; k++)
        {
            var p = source + (long)which[k] * sourceStride;
            var s0 = Vector256.Load(p);
            var s1 = Vector256.Load(p + w);
            var x = values4 + 4L * k;
            var xa = Vector256.Create(x[0]);
            a0 = Fma(xa, s0, a0);
            a1 = Fma(xa, s1, a1);
            var xb = Vector256.Create(x[1]);
            b0 = Fma(xb, s0, b0);
            b1 = Fma(xb, s1, b1);
            var xc = Vector256.Create(x[2]);
            c0 = Fma(xc, s0, c0);
            c1 = Fma(xc, s1, c1);
            var xd = Vector256.Create(x[3]);
            d0 = Fma(xd, s0, d0);
            d1 = Fma(xd, s1, d1);
        }

        a0.Store(into);
        a1.Store(into + w);
        b0.Store(into + stride);
        b1.Store(into + stride + w);
        c0.Store(into + 2 * stride);
        c1.Store(into + 2 * stride + w);
        d0.Store(into + 3 * stride);
        d1.Store(into + 3 * stride + w);
    }

    static unsafe void Store4(T* into, int x5, Vector512<T> v0, Vector512<T> v1, Vector512<T> v2, Vector512<T> v3)
    {
        v0.Store(into);
        v1.Store(into + x5);
        v2.Store(into + 2 * x5);
        v3.Store(into + 3 * x5);
    }

    /// <summary>
    /// Combine for two rows of 4 or 8 AVX-512 vectors (into and into2; nonzeros [sa, ea) and [sb, eb)), interleaved while
    /// both have nonzeros left; with resume, the sums continue from what into and into2 hold.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void TwoRows(T* into, T* into2, int vectors, bool resume, T* source, int sourceStride, int* which, T* values,
        int sa, int ea, int sb, int eb)
    {
        var x5 = Vector512<T>.Count;
        for (var v0 = 0; v0 < vectors; v0 += 4)
        {
            // Four vectors of each row per pass (eight rows' vectors: a row of eight is two passes over its nonzeros).
            var j = v0 * x5;
            Vector512<T> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
            if (resume)
            {
                (a0, a1, a2, a3) = (Vector512.Load(into + j), Vector512.Load(into + j + x5), Vector512.Load(into + j + 2 * x5), Vector512.Load(into + j + 3 * x5));
                (b0, b1, b2, b3) = (Vector512.Load(into2 + j), Vector512.Load(into2 + j + x5), Vector512.Load(into2 + j + 2 * x5), Vector512.Load(into2 + j + 3 * x5));
            }

            int la = ea - sa, lb = eb - sb, common = Math.Min(la, lb);
            for (var k = 0; k < common; k++)
            {
                var xa = Vector512.Create(values[sa + k]);
                var xb = Vector512.Create(values[sb + k]);
                var pa = source + (long)which[sa + k] * sourceStride + j;
                var pb = source + (long)which[sb + k] * sourceStride + j;
                a0 = Fma(xa, Vector512.Load(pa), a0);
                b0 = Fma(xb, Vector512.Load(pb), b0);
                a1 = Fma(xa, Vector512.Load(pa + x5), a1);
                b1 = Fma(xb, Vector512.Load(pb + x5), b1);
                a2 = Fma(xa, Vector512.Load(pa + 2 * x5), a2);
                b2 = Fma(xb, Vector512.Load(pb + 2 * x5), b2);
                a3 = Fma(xa, Vector512.Load(pa + 3 * x5), a3);
                b3 = Fma(xb, Vector512.Load(pb + 3 * x5), b3);
            }

            for (var k = common; k < la; k++)
            {
                var xa = Vector512.Create(values[sa + k]);
                var pa = source + (long)which[sa + k] * sourceStride + j;
                a0 = Fma(xa, Vector512.Load(pa), a0);
                a1 = Fma(xa, Vector512.Load(pa + x5), a1);
                a2 = Fma(xa, Vector512.Load(pa + 2 * x5), a2);
                a3 = Fma(xa, Vector512.Load(pa + 3 * x5), a3);
            }

            for (var k = common; k < lb; k++)
            {
                var xb = Vector512.Create(values[sb + k]);
                var pb = source + (long)which[sb + k] * sourceStride + j;
                b0 = Fma(xb, Vector512.Load(pb), b0);
                b1 = Fma(xb, Vector512.Load(pb + x5), b1);
                b2 = Fma(xb, Vector512.Load(pb + 2 * x5), b2);
                b3 = Fma(xb, Vector512.Load(pb + 3 * x5), b3);
            }

            Store4(into + j, x5, a0, a1, a2, a3);
            Store4(into2 + j, x5, b0, b1, b2, b3);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<T> Fma(Vector256<T> x, Vector256<T> y, Vector256<T> addend)
    {
        // The JIT keeps one branch per instantiation; a fused multiply-add where the element type has one.
        if (typeof(T) == typeof(float))
            return Vector256.FusedMultiplyAdd(x.As<T, float>(), y.As<T, float>(), addend.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector256.FusedMultiplyAdd(x.As<T, double>(), y.As<T, double>(), addend.As<T, double>()).As<double, T>();
        return x * y + addend;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<T> Fma(Vector512<T> x, Vector512<T> y, Vector512<T> addend)
    {
        if (typeof(T) == typeof(float))
            return Vector512.FusedMultiplyAdd(x.As<T, float>(), y.As<T, float>(), addend.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector512.FusedMultiplyAdd(x.As<T, double>(), y.As<T, double>(), addend.As<T, double>()).As<double, T>();
        return x * y + addend;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static NonzeroIndex Ready(SparseIndex index)
    {
        var ix = index as NonzeroIndex ?? throw new ArgumentException("the sparse index was made by other kernels", nameof(index));
        return ix.Sparse ? ix : throw new InvalidOperationException("the sparse products need a batch indexed as sparse (Index returned false)");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void CheckLength(T[] data, int length, string what)
    {
        if (data.Length < length) throw new ArgumentException($"the {what} buffer holds {data.Length} elements; {length} are needed.");
    }
}
