using System.Globalization;
using System.Text;
using Hybrid.Core;

namespace Hybrid.Data;

/// <summary>Data sets read from CSV files, one sample per row.</summary>
public sealed partial class Dataset
{
    /// <summary>The longest field a data row may hold: no number needs more, and a longer one is refused rather than buffered.</summary>
    public const int MaxCsvField = 64;

    /// <summary>The most classes <see cref="FromCsv"/> infers from the largest label (a label is a class index: a hostile 2³¹ − 1 would ask for gigabytes of one-hot targets).</summary>
    public const int MaxCsvClasses = 1 << 16;

    /// <summary>
    /// Reads a classification data set from a CSV file: one sample per row, the class label (an integer from 0) in
    /// column <paramref name="labelColumn"/>, every other column a feature (a number, invariant culture: <c>0.5</c>,
    /// <c>1e-3</c>). The file is streamed, field by field: no line or whole file is held as strings. Blank lines are
    /// skipped; fields may be quoted (RFC 4180); CRLF line ends are accepted. MNIST as CSV (label first, then 784
    /// pixels of 0–255) reads as <c>Dataset.FromCsv(path, labelColumn: 0, hasHeader: true, divideBy: 255)</c>.
    /// </summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="labelColumn">The label's column, from 0.</param>
    /// <param name="hasHeader">The first row names the columns (it is skipped, and only its column count is used).</param>
    /// <param name="separator">The field separator.</param>
    /// <param name="divideBy">Every feature is divided by it (255 maps bytes to [0, 1] as <see cref="Mnist"/> does).</param>
    /// <param name="classes">The number of classes (default: the largest label + 1); a label at or above it is refused.</param>
    /// <exception cref="FileNotFoundException">No file is at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not such a CSV: a row with more or fewer columns than the first, a feature that is not a finite
    /// number, a missing or non-integer label, an unclosed quote, no data rows, or more data than fits in memory. The
    /// message names the file, the row (from 1, counting the header) and the column (from 1).
    /// </exception>
    /// <exception cref="ArgumentException">An argument is out of range.</exception>
    public static Dataset FromCsv(
        string path, int labelColumn = 0, bool hasHeader = false, char separator = ',', float divideBy = 1, int? classes = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Guard.AtLeast(labelColumn, 0, nameof(labelColumn), "Dataset.FromCsv");
        Guard.Positive(divideBy, nameof(divideBy), "Dataset.FromCsv");
        if (classes is { } c) Guard.AtLeast(c, 1, nameof(classes), "Dataset.FromCsv");
        if (separator is '"' or '\r' or '\n')
            throw new ArgumentOutOfRangeException(nameof(separator), separator, "Dataset.FromCsv: the separator cannot be a quote or a line end");
        using var stream = InputFile.openRegular(path);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        var csv = new CsvReader(path, labelColumn, hasHeader, separator, divideBy, classes);
        csv.Read(reader);
        return csv.Result();
    }

    /// <summary>
    /// The CSV state machine: characters in, fields out, each data field parsed as it ends. Mutable by design (one
    /// pass over a stream); every fault is an <see cref="InvalidDataException"/> "{path}: row R, column C: …".
    /// </summary>
    sealed class CsvReader(string path, int labelColumn, bool hasHeader, char separator, float divideBy, int? classes)
    {
        readonly char[] field = new char[MaxCsvField];
        float[] features = new float[1 << 16];
        long featureCount;
        readonly List<int> labels = [];
        int width = -1; // the columns of the first row (header or data)
        long line = 1, rowLine = 1; // the line being read, and the line its row began on (a quoted field may span lines)
        int column; // the field being read, from 0
        int length; // its characters so far (kept only up to MaxCsvField, and only in data rows)
        bool tooLong, quoted, inQuotes, quoteSeen, rowHasContent;
        bool blank = true; // the field so far is empty or spaces
        int maxLabel = -1;
        long maxLabelRow;

        bool InHeader => hasHeader && width < 0;

        InvalidDataException Fault(string what) => InputFile.fault(path, $"row {rowLine}, column {column + 1}", what);

        public void Read(StreamReader reader)
        {
            var buffer = new char[1 << 16];
            int n;
            while ((n = reader.Read(buffer, 0, buffer.Length)) > 0)
                for (var i = 0; i < n; i++)
                    Next(buffer[i]);
            if (inQuotes && !quoteSeen) throw Fault("a quoted field is not closed before the end of the file");
            if (rowHasContent || column > 0) EndRow();
        }

        void Next(char c)
        {
            if (quoteSeen)
            {
                quoteSeen = false;
                if (c == '"')
                {
                    Append(c); // "" inside quotes is one quote
                    return;
                }

                inQuotes = false; // the quote closed the field; c follows it
            }
            else if (inQuotes)
            {
                if (c == '"') quoteSeen = true;
                else
                {
                    if (c == '\n') line++;
                    Append(c);
                }

                return;
            }

            if (c == '"' && blank && !quoted)
            {
                // A quote opens a quoted field where only spaces came before it in the field (they are dropped).
                length = 0;
                inQuotes = quoted = rowHasContent = true;
                return;
            }

            if (c == separator)
            {
                rowHasContent = true;
                EndField();
                column++;
            }
            else if (c == '\n')
            {
                if (rowHasContent || column > 0) EndRow();
                else (length, blank) = (0, true); // a blank line (or one of spaces) is skipped
                line++;
                rowLine = line;
            }
            else if (c != '\r')
            {
                if (!char.IsWhiteSpace(c)) rowHasContent = true;
                Append(c);
            }
        }

        void Append(char c)
        {
            if (!char.IsWhiteSpace(c)) blank = false;
            if (length < MaxCsvField) field[length] = c;
            else tooLong = true;
            length++;
        }

        void EndField()
        {
            if (width >= 0 && column >= width)
                throw Fault($"the row has more than the {width} columns of row 1{(hasHeader ? " (the header)" : "")}");
            if (!InHeader)
            {
                var text = field.AsSpan(0, Math.Min(length, MaxCsvField)).Trim();
                if (column == labelColumn) Label(text);
                else Feature(text);
            }

            length = 0;
            tooLong = quoted = false;
            blank = true;
        }

        void Label(ReadOnlySpan<char> text)
        {
            if (text.IsEmpty) throw Fault("the label is missing");
            if (tooLong || !int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var label))
                throw Fault($"the label '{Shown(text)}' is not an integer{HeaderHint}");
            if (label < 0) throw Fault($"the label {label} is negative; labels are classes 0, 1, …");
            if (classes is { } c && label >= c) throw Fault($"the label {label} is not a class below {c} (classes: {c})");
            if (label > maxLabel)
            {
                maxLabel = label;
                maxLabelRow = rowLine;
            }

            labels.Add(label);
        }

        void Feature(ReadOnlySpan<char> text)
        {
            if (text.IsEmpty) throw Fault("the feature is missing (an empty field)");
            if (tooLong || !float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var x))
                throw Fault($"'{Shown(text)}' is not a number{HeaderHint}");
            if (!float.IsFinite(x)) throw Fault($"{Shown(text)} is not a finite number (as float32)");
            if (featureCount == features.Length)
            {
                var grown = Math.Min(2L * features.Length, Array.MaxLength);
                if (grown == featureCount || 4 * grown > ModelLimits.Memory / 2)
                    throw Fault($"the features need more than {Hybrid.IO.Files.Size(4 * featureCount)}, over half the {Hybrid.IO.Files.Size(ModelLimits.Memory)} of memory here");
                Array.Resize(ref features, (int)grown);
            }

            features[featureCount++] = x / divideBy;
        }

        // A word that is not a number in the first row is most likely a header.
        string HeaderHint => !hasHeader && width < 0 ? " (if row 1 is a header, pass hasHeader: true)" : "";

        string Shown(ReadOnlySpan<char> text) => tooLong ? $"{text[..Math.Min(16, text.Length)]}… ({length:N0} characters)" : text.ToString();

        void EndRow()
        {
            EndField();
            var columns = column + 1;
            if (width < 0)
            {
                if (labelColumn >= columns)
                    throw InputFile.fault(path, $"row {rowLine}", $"it has {columns} columns, so there is no label column {labelColumn + 1} (labelColumn: {labelColumn}, from 0)");
                if (columns < 2) throw InputFile.fault(path, $"row {rowLine}", "it has one column: a label and at least one feature are needed");
                width = columns;
            }
            else if (columns < width)
            {
                throw InputFile.fault(path, $"row {rowLine}, column {columns + 1}",
                    $"missing: the row has {columns} columns, but row 1{(hasHeader ? " (the header)" : "")} has {width}");
            }

            column = 0;
            rowHasContent = false;
        }

        public Dataset Result()
        {
            if (labels.Count == 0) throw InputFile.fault(path, "rows", hasHeader ? "no data rows after the header" : "no data rows");
            var count = labels.Count;
            if (classes is null && maxLabel >= MaxCsvClasses)
                throw InputFile.fault(path, $"row {maxLabelRow}, column {labelColumn + 1}",
                    $"the label {maxLabel} would make {maxLabel + 1:N0} classes, more than the {MaxCsvClasses:N0} inferred at most (pass classes: if so many are meant)");
            var total = classes ?? maxLabel + 1;
            if ((long)count * total * 4 > ModelLimits.Memory / 4)
                throw InputFile.fault(path, $"row {maxLabelRow}, column {labelColumn + 1}",
                    $"the label {maxLabel} makes {total:N0} classes; one-hot targets for {count:N0} rows would need {Hybrid.IO.Files.Size((long)count * total * 4)} (pass classes: if fewer are meant)");
            var flat = features.Length == featureCount ? features : features[..(int)featureCount];
            return FromLabels(flat, width - 1, labels.ToArray(), total);
        }
    }
}
