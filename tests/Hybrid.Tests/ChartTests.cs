using System.Text.Json;
using System.Text.RegularExpressions;
using Hybrid.Charts;
using Hybrid.Data;
using Hybrid.Training;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Tests;

public class ChartTests
{
    static JsonElement Spec(Chart chart) => JsonDocument.Parse(chart.ToJson()).RootElement;

    [Fact]
    public void A_line_chart_is_a_Vega_Lite_spec_with_one_row_per_finite_point()
    {
        var chart = Chart.Lines([Series.Of("train", [3, 2, double.NaN, 1]), Series.Of("test", [4, 3])], "epoch", "loss").WithTitle("Loss").WithSize(300, 200);
        var spec = Spec(chart);

        Assert.Equal(Chart.Schema, spec.GetProperty("$schema").GetString());
        Assert.Equal(5, spec.GetProperty("data").GetProperty("values").GetArrayLength());
        Assert.Equal("Loss", spec.GetProperty("title").GetString());
        Assert.Equal(300, spec.GetProperty("width").GetInt32());
        Assert.Equal("series", spec.GetProperty("encoding").GetProperty("color").GetProperty("field").GetString());
    }

    [Theory]
    [InlineData(2, "1,2", "0,1")]
    [InlineData(3, "1,2,3", "0,1,2")]
    [InlineData(30, "5,10,15,20,25,30", "0,1,2,3")]
    public void Whole_number_axes_are_ticked_at_whole_numbers_only(int epochs, string ticks, string counts)
    {
        // Integer counts on y (mistakes per epoch), epochs on x; the "d" format alone wrote 1, 1.5, 2 as "1, 2, 2".
        var y = Enumerable.Range(0, epochs).Select(i => (double)(i % 4)).ToArray();
        var encoding = Spec(Chart.Lines([Series.Of("AND", y)], "epoch", "mistakes")).GetProperty("encoding");
        string Values(string axis) => string.Join(",", encoding.GetProperty(axis).GetProperty("axis").GetProperty("values").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal(ticks, Values("x"));
        Assert.Equal(counts, Values("y"));
        // A loss is not whole: its axis ticks itself.
        var loss = Spec(Chart.Lines([Series.Of("loss", [0.5, 0.25])])).GetProperty("encoding").GetProperty("y");
        Assert.False(loss.TryGetProperty("axis", out _));
    }

    [Fact]
    public void Layered_charts_share_the_axis_titles_a_layer_gives()
    {
        var chart = Chart.Layer(Chart.Field((a, b) => a * b, 0, 1, 0, 1, 4), Chart.Points([0.5], [0.5], xTitle: "x₁", yTitle: "x₂"));
        foreach (var layer in Spec(chart).GetProperty("layer").EnumerateArray())
        {
            Assert.Equal("x₁", layer.GetProperty("encoding").GetProperty("x").GetProperty("title").GetString());
            Assert.Equal("x₂", layer.GetProperty("encoding").GetProperty("y").GetProperty("title").GetString());
        }
    }

    [Fact]
    public void Mismatched_inputs_are_refused_with_the_counts()
    {
        var lines = Assert.Throws<ArgumentException>(() => Chart.Lines([new Series("a", [1, 2], [1])]));
        Assert.Contains("2 x values but 1 y values", lines.Message);
        var heat = Assert.Throws<ArgumentException>(() => Chart.Heatmap(new double[2, 3], rowLabels: ["a"]));
        Assert.Contains("2×3", heat.Message);
        Assert.Throws<ArgumentException>(() => Chart.Points([1, double.NaN], [1, 2]));
        Assert.Throws<ArgumentException>(() => Chart.Lines([]));
        Assert.Throws<ArgumentException>(() => Chart.Points([0], [0]).ToHtml("1-starts-with-a-digit"));
    }

    [Fact]
    public void A_field_samples_the_function_at_cell_centres_and_leaves_undefined_cells_out()
    {
        var field = Chart.Field((x, y) => x > 0.5 ? double.NaN : x + y, 0, 1, 0, 1, resolution: 4);
        var cells = Spec(field).GetProperty("data").GetProperty("values").EnumerateArray().ToArray();

        Assert.Equal(8, cells.Length); // the right half is undefined
        var first = cells[0];
        Assert.Equal(0.125 + 0.125, first.GetProperty("value").GetDouble(), 12);
    }

    [Fact]
    public void Layers_keep_the_first_charts_size_and_grids_hold_every_chart()
    {
        var layered = Chart.Layer(Chart.Points([0, 1], [0, 1]).WithSize(200, 100), Chart.Points([1], [0]));
        var spec = Spec(layered);
        Assert.Equal(2, spec.GetProperty("layer").GetArrayLength());
        Assert.Equal(200, spec.GetProperty("width").GetInt32());
        Assert.False(spec.GetProperty("layer")[0].TryGetProperty("width", out _));

        var grid = Spec(Chart.Grid([Chart.Points([0], [0]), Chart.Points([1], [1]), Chart.Points([2], [2])], columns: 2));
        Assert.Equal(3, grid.GetProperty("concat").GetArrayLength());
        Assert.Throws<InvalidOperationException>(() => Chart.Grid([Chart.Points([0], [0])]).WithSize(10, 10));
    }

    [Fact]
    public void A_chart_fragment_names_its_figure_and_cannot_close_its_script_early()
    {
        var html = Chart.Points([0], [0], ["</script><b>"]).ToHtml("points", "a caption");

        Assert.Contains("<figure class=\"hybrid-figure\" id=\"points\" data-figure=\"points\">", html);
        Assert.Contains("<figcaption>a caption</figcaption>", html);
        Assert.Single(Regex.Matches(html, "</script>"));
        Assert.Contains("vegaEmbed(\"#points > .hybrid-chart\"", html);
    }

    [Fact]
    public void The_confusion_matrix_chart_holds_every_cell_of_the_evaluation()
    {
        var counts = new int[,] { { 5, 1 }, { 2, 7 } };
        var chart = TrainingCharts.ConfusionMatrix(new Evaluation(0.3, 12 / 15.0, counts, 15));
        var cells = Spec(chart).GetProperty("data").GetProperty("values").EnumerateArray()
            .ToDictionary(c => (c.GetProperty("row").GetString(), c.GetProperty("column").GetString()), c => c.GetProperty("value").GetDouble());

        Assert.Equal(4, cells.Count);
        Assert.Equal(2, cells[("1", "0")]);
        Assert.Throws<ArgumentException>(() => TrainingCharts.ConfusionMatrix(new Evaluation(0.3, double.NaN, null, 15)));
    }

    [Fact]
    public void A_network_drawing_has_a_neuron_per_unit_and_an_edge_per_kept_weight()
    {
        var w1 = Matrix<float>.Build.DenseOfArray(new float[,] { { 1, -2 }, { 0.5f, 0 }, { 3, -1 } });
        var w2 = Matrix<float>.Build.DenseOfArray(new float[,] { { 1, -1, 2 } });
        var svg = Drawing.Network([w1, w2]);

        Assert.Equal(2 + 3 + 1, Regex.Matches(svg, "<circle").Count);
        Assert.Equal(6 + 3, Regex.Matches(svg, "<line").Count);
        Assert.Equal(3, Regex.Matches(svg, "stroke=\"#dc2626\"").Count); // the negative weights, in red
        Assert.Equal(2 + 2, Regex.Matches(Drawing.Network([w1, w2], maxEdgesPerLayer: 2), "<line").Count);
        var bad = Assert.Throws<ArgumentException>(() => Drawing.Network([w1, w1]));
        Assert.Contains("layer 1 takes 2 inputs but layer 0 gives 3", bad.Message);
    }

    [Fact]
    public void A_network_drawing_writes_the_biases_and_the_output_labels()
    {
        var w1 = Matrix<float>.Build.DenseOfArray(new float[,] { { 1, -2 }, { 0.5f, 0 }, { 3, -1 } });
        var w2 = Matrix<float>.Build.DenseOfArray(new float[,] { { 1, -1, 2 }, { 0, 1, 1 } });
        var b1 = Matrix<float>.Build.DenseOfArray(new float[,] { { 3.76f, -1.5f, 0 } });
        var b2 = Matrix<float>.Build.DenseOfArray(new float[,] { { 16.79f, 2 } });
        var svg = Drawing.Network([w1, w2], biases: [b1, b2], outputLabels: ["no", "yes"]);

        foreach (var text in new[] { "b = 3.76", "b = -1.5", "b = 0", "b = 16.79", "b = 2", ">no<", ">yes<" })
            Assert.Contains(text, svg);
        Assert.DoesNotContain("b = ", Drawing.Network([w1, w2]));
        var labels = Assert.Throws<ArgumentException>(() => Drawing.Network([w1, w2], outputLabels: ["one"]));
        Assert.Contains("1 output labels for 2 output units", labels.Message);
        var biases = Assert.Throws<ArgumentException>(() => Drawing.Network([w1, w2], biases: [b2, b2]));
        Assert.Contains("layer 0 has 3 units but 2 biases", biases.Message);
    }

    [Fact]
    public void An_image_grid_draws_the_lit_pixels_of_each_image_with_its_caption()
    {
        var features = Matrix<float>.Build.Dense(2, 4);
        features[0, 0] = 1;
        features[1, 1] = 0.5f;
        features[1, 2] = 0.25f;
        var data = Dataset.FromLabels(features, [0, 1], 2);
        var svg = Drawing.Images(data, [0, 1], ["zero", "one"], columns: 2);

        Assert.Equal(2 + 3, Regex.Matches(svg, "<rect").Count); // a frame per image and one square per lit pixel
        Assert.Contains(">one</text>", svg);
        Assert.Throws<ArgumentException>(() => Drawing.Images(Dataset.FromLabels(Matrix<float>.Build.Dense(1, 3), [0], 1), [0]));
    }

    [Fact]
    public void Graphviz_lays_out_a_graph_as_svg()
    {
        var x = Autograd.Variable.Parameter(Matrix<double>.Build.Dense(1, 1, 2.0), "x");
        var y = (x * x).Sum();
        var svg = Drawing.Graphviz(y.ToDot());

        Assert.StartsWith("<svg", svg);
        Assert.Contains("</svg>", svg);
        Assert.Throws<InvalidOperationException>(() => Drawing.Graphviz("digraph { this is not dot"));
    }

    [Fact]
    public void A_report_is_written_atomically_with_the_chart_scripts_inlined()
    {
        var folder = Directory.CreateTempSubdirectory();
        try
        {
            var path = Path.Combine(folder.FullName, "report.html");
            new Report("A run").Paragraph("1 < 2").Add(Chart.Points([0], [0])).AddSvg("<svg></svg>").Save(path);
            var html = File.ReadAllText(path);

            Assert.Contains("<title>A run</title>", html);
            Assert.Contains("1 &lt; 2", html);
            Assert.Contains("id=\"figure-1\"", html);
            Assert.Contains("id=\"figure-2\"", html);
            Assert.Contains("vegaEmbed=", html.Replace(" ", "")); // vega-embed's own text is inside
            Assert.Single(Directory.GetFiles(folder.FullName)); // no temporary file left
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
