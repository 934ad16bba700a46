namespace Hybrid.Serve.Tests;

/// <summary>
/// Strokes traced from an MNIST digit, as a hand would draw it: the ink (above half) thinned to a one-pixel skeleton
/// (Zhang–Suen), then the skeleton's pixels walked into polylines, each starting at an end of a line where there is
/// one. Points are in the digit's pixel coordinates (pixel centres).
/// </summary>
static class Skeleton
{
    public static List<List<(double X, double Y)>> Strokes(ReadOnlySpan<float> digit, int side = 28)
    {
        var on = new bool[side, side];
        for (var y = 0; y < side; y++)
        for (var x = 0; x < side; x++)
            on[x, y] = digit[y * side + x] > 0.5f;
        Thin(on, side);

        var visited = new bool[side, side];
        var strokes = new List<List<(double, double)>>();
        while (true)
        {
            // Start at an end (one unvisited neighbour) if any is left, else anywhere on the rest (a closed loop).
            (int X, int Y)? start = null;
            for (var y = 0; y < side && start is null; y++)
            for (var x = 0; x < side && start is null; x++)
                if (on[x, y] && !visited[x, y] && Neighbours(on, visited, side, x, y).Count() == 1)
                    start = (x, y);
            for (var y = 0; y < side && start is null; y++)
            for (var x = 0; x < side && start is null; x++)
                if (on[x, y] && !visited[x, y])
                    start = (x, y);
            if (start is not { } s) break;
            var stroke = new List<(double, double)>();
            var (cx, cy) = s;
            while (true)
            {
                visited[cx, cy] = true;
                stroke.Add((cx + 0.5, cy + 0.5));
                // Straight neighbours before diagonal ones, so the walk follows the line rather than cutting corners.
                var next = Neighbours(on, visited, side, cx, cy).OrderBy(n => Math.Abs(n.X - cx) + Math.Abs(n.Y - cy)).FirstOrDefault((X: -1, Y: -1));
                if (next.X < 0) break;
                (cx, cy) = next;
            }

            // A loop closes on its start.
            if (stroke.Count > 2 && Math.Abs(cx - s.X) <= 1 && Math.Abs(cy - s.Y) <= 1) stroke.Add((s.X + 0.5, s.Y + 0.5));
            strokes.Add(stroke);
        }

        return strokes;
    }

    static IEnumerable<(int X, int Y)> Neighbours(bool[,] on, bool[,] visited, int side, int x, int y)
    {
        for (var dy = -1; dy <= 1; dy++)
        for (var dx = -1; dx <= 1; dx++)
        {
            int nx = x + dx, ny = y + dy;
            if ((dx != 0 || dy != 0) && nx >= 0 && ny >= 0 && nx < side && ny < side && on[nx, ny] && !visited[nx, ny]) yield return (nx, ny);
        }
    }

    /// <summary>Zhang–Suen thinning, in place.</summary>
    static void Thin(bool[,] on, int side)
    {
        bool changed;
        do
        {
            changed = false;
            for (var pass = 0; pass < 2; pass++)
            {
                var remove = new List<(int, int)>();
                for (var y = 1; y < side - 1; y++)
                for (var x = 1; x < side - 1; x++)
                {
                    if (!on[x, y]) continue;
                    // P2 … P9 clockwise from north.
                    bool[] p = [on[x, y - 1], on[x + 1, y - 1], on[x + 1, y], on[x + 1, y + 1], on[x, y + 1], on[x - 1, y + 1], on[x - 1, y], on[x - 1, y - 1]];
                    var count = p.Count(b => b);
                    var transitions = Enumerable.Range(0, 8).Count(i => !p[i] && p[(i + 1) % 8]);
                    if (count < 2 || count > 6 || transitions != 1) continue;
                    if (pass == 0 ? p[0] && p[2] && p[4] || p[2] && p[4] && p[6] : p[0] && p[2] && p[6] || p[0] && p[4] && p[6]) continue;
                    remove.Add((x, y));
                }

                foreach (var (x, y) in remove) on[x, y] = false;
                changed |= remove.Count > 0;
            }
        }
        while (changed);
    }
}
