using System.Net;
using System.Text;

namespace Hybrid.Examples;

/// <summary>What every course page shows: the notation box (one source, included by each page), and small tables.</summary>
public static class Course
{
    /// <summary>A small HTML table (a page's results, instead of a printed tuple); cells are plain text.</summary>
    public static string Table(IReadOnlyList<string> headers, IEnumerable<string[]> rows)
    {
        var b = new StringBuilder("<table class=\"results\">\n<thead><tr>");
        foreach (var h in headers) b.Append("<th>").Append(WebUtility.HtmlEncode(h)).Append("</th>");
        b.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in rows)
        {
            if (row.Length != headers.Count)
                throw new ArgumentException($"Course.Table: a row has {row.Length} cells for {headers.Count} headers.", nameof(rows));
            b.Append("<tr>");
            foreach (var cell in row) b.Append("<td>").Append(WebUtility.HtmlEncode(cell)).Append("</td>");
            b.Append("</tr>\n");
        }

        return b.Append("</tbody>\n</table>\n").ToString();
    }

    /// <summary>
    /// The course's notation, as a folded box. Its formulas are LaTeX between <c>\( \)</c>, typeset by KaTeX when
    /// the page loads.
    /// </summary>
    public const string Notation = """
        <details class="notation">
        <summary>Notation used on every page</summary>
        <ul>
        <li>\(n\) samples, \(d\) input features, \(h\) units in a hidden layer, \(k\) outputs (classes).</li>
        <li>\(X \in \mathbb{R}^{n \times d}\): <b>one sample per row</b>; \(x_i\) is row \(i\).
            \(Y \in \mathbb{R}^{n \times k}\): the targets (one-hot rows for classes); \(\hat Y\): the predictions.</li>
        <li>A dense layer: \(Z = X W + \mathbf{1} b\) with \(W \in \mathbb{R}^{d \times h}\) and
            \(b \in \mathbb{R}^{1 \times h}\) added to every row; then \(A = f(Z)\) for an activation \(f\).
            Hybrid's <code>Dense</code> stores \(W^\top\) (\(h \times d\), as PyTorch's <code>nn.Linear</code> does)
            and computes <code>X·Wᵀ</code>: the same product.</li>
        <li>Layer \(l\): \(A^{(0)} = X\), \(Z^{(l)} = A^{(l-1)} W^{(l)} + \mathbf{1} b^{(l)}\),
            \(A^{(l)} = f(Z^{(l)})\).</li>
        <li>\(\ell(\hat y_i, y_i)\): the <b>loss</b> of one sample; \(J = \frac{1}{n} \sum_i \ell\): the <b>cost</b>
            of a batch, what is minimised.</li>
        <li>\(\delta^{(l)} = \partial J / \partial Z^{(l)}\) (\(n \times h_l\)); a gradient such as
            \(\partial J / \partial W\) has the shape of \(W\).</li>
        <li>\(\odot\): element-wise product; \(\eta\): the learning rate; \(\theta\): all parameters.</li>
        </ul>
        </details>
        """;
}
