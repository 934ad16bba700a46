using System.Globalization;
using System.Text;
using Hybrid.Data;

namespace Hybrid.Tests;

/// <summary>Dataset.FromCsv: what it reads, the errors it names (row and column), and MNIST through CSV trained as through IDX.</summary>
public class CsvTests
{
    static string Write(string text)
    {
        var path = Fixtures.TempFile(".csv");
        File.WriteAllText(path, text);
        return path;
    }

    static string Error(string text, int labelColumn = 0, bool hasHeader = false)
    {
        var path = Write(text);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => Dataset.FromCsv(path, labelColumn, hasHeader));
            Assert.StartsWith(path, e.Message);
            return e.Message[(path.Length + 2)..];
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_CSV_with_a_header_quotes_CRLF_and_blank_lines_reads_as_its_numbers()
    {
        var path = Write("x,\"y, quoted\",label\r\n0.5,1e-3,2\r\n\r\n  -1 , \"7\" ,0\r\n");
        try
        {
            var data = Dataset.FromCsv(path, labelColumn: 2, hasHeader: true, divideBy: 2);
            Assert.Equal((2, 2, 3), (data.Count, data.FeatureCount, data.TargetCount));
            Assert.Equal(new[] { 2, 0 }, data.Labels);
            Assert.Equal(new[] { 0.25f, 0.0005f }, data.Sample(0).ToArray());
            Assert.Equal(new[] { -0.5f, 3.5f }, data.Sample(1).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Each_fault_names_its_row_and_column()
    {
        Assert.Equal("row 3, column 4: the row has more than the 3 columns of row 1", Error("1,2,3\n0,1,2\n1,2,3,4\n"));
        Assert.Equal("row 2, column 3: missing: the row has 2 columns, but row 1 (the header) has 3", Error("a,b,c\n1,2\n", hasHeader: true));
        Assert.Equal("row 2, column 3: 'abc' is not a number", Error("1,2,3\n0,1,abc\n"));
        Assert.Equal("row 2, column 1: the label is missing", Error("1,2,3\n,1,2\n"));
        Assert.Equal("row 2, column 3: the label 'x' is not an integer", Error("1,2,3\n1,2,x\n", labelColumn: 2));
        Assert.Equal("row 2, column 2: the feature is missing (an empty field)", Error("1,2,3\n0,,2\n"));
        Assert.Equal("row 1, column 2: NaN is not a finite number (as float32)", Error("1,NaN\n"));
        Assert.Equal("row 2, column 1: the label -4 is negative; labels are classes 0, 1, …", Error("1,2\n-4,2\n"));
        Assert.Equal("row 1, column 1: the label 'label' is not an integer (if row 1 is a header, pass hasHeader: true)", Error("label,pixel\n1,2\n"));
        Assert.Contains("a quoted field is not closed", Error("1,\"2\n3,4\n"));
        Assert.Contains("no data rows", Error("\n\n"));
        Assert.Contains("row 1, column 1: the label 70000 would make 70,001 classes", Error("70000,1\n"));
        Assert.Contains("is not a number", Error("1," + new string('1', 200) + "\n"));
    }

    [Fact]
    public void MNIST_written_as_CSV_reads_as_the_IDX_files_and_trains_to_the_same_accuracy()
    {
        var mnist = Fixtures.Mnist;
        var path = Fixtures.TempFile(".csv");
        try
        {
            // As MNIST CSVs are published: a header, then the label and the 784 pixels (0–255) of each image.
            using (var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16))
            {
                w.WriteLine("label," + string.Join(',', Enumerable.Range(0, 784).Select(i => $"{i / 28 + 1}x{i % 28 + 1}")));
                var line = new StringBuilder();
                for (var i = 0; i < mnist.Train.Count; i++)
                {
                    line.Clear().Append(mnist.Train.Labels![i].ToString(CultureInfo.InvariantCulture));
                    foreach (var x in mnist.Train.Sample(i)) line.Append(',').Append(((int)MathF.Round(x * 255)).ToString(CultureInfo.InvariantCulture));
                    w.WriteLine(line);
                }
            }

            var csv = Dataset.FromCsv(path, labelColumn: 0, hasHeader: true, divideBy: 255);
            Assert.Equal(60_000, csv.Count);
            Assert.Equal(mnist.Train.Labels, csv.Labels);
            for (var i = 0; i < csv.Count; i += 997) Assert.Equal(mnist.Train.Sample(i).ToArray(), csv.Sample(i).ToArray());

            double Accuracy(Dataset train)
            {
                var model = Network.Sequential(784).Dense(64, Activation.ReLU).Dense(10).Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam(0.002), seed: 5);
                model.Fit(train, epochs: 1, batchSize: 128);
                return model.Evaluate(mnist.Test).Accuracy;
            }

            var fromIdx = Accuracy(mnist.Train);
            Assert.True(fromIdx > 0.9, $"IDX path: {fromIdx}");
            Assert.Equal(fromIdx, Accuracy(csv));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
