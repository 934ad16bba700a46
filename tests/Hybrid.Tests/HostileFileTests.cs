using System.Buffers.Binary;
using System.Text;
using Hybrid.IO;
using Hybrid.Tests.Fuzz;

namespace Hybrid.Tests;

/// <summary>The reported hostile files one by one: each refused with an InvalidDataException naming the file and the fault.</summary>
public class HostileFileTests
{
    static string Write(byte[] bytes)
    {
        var path = Fixtures.TempFile(".safetensors");
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    static byte[] File(string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }

    static string Refused(byte[] bytes, bool load = true)
    {
        var path = Write(bytes);
        var e = Assert.Throws<InvalidDataException>(() =>
        {
            if (load) Network.Load(path);
            else SafeTensors.Read(path);
        });
        System.IO.File.Delete(path);
        Assert.Contains(path, e.Message);
        return e.Message;
    }

    static string Model(string architecture, string tensors) =>
        "{\"__metadata__\":{\"architecture\":" + System.Text.Json.JsonSerializer.Serialize(architecture) + "}" + tensors + "}";

    const string Linear = """{"inputs":2,"layers":[{"type":"Linear","in_features":2,"out_features":1}]}""";
    const string Tensors = ""","0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"0.bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}""";

    [Fact]
    public void A_good_handmade_file_loads()
    {
        var path = Write(File(Model(Linear, Tensors), new byte[12]));
        Assert.Equal(3, Network.Load(path).ParameterCount);
        System.IO.File.Delete(path);
    }

    [Fact]
    public void A_shape_whose_element_count_overflows_is_refused()
    {
        var message = Refused(File("""{"x":{"dtype":"F32","shape":[5,5581,8681,49477,384773],"data_offsets":[0,4]}}""", new byte[4]), load: false);
        Assert.Contains("tensor 'x' shape", message);
        Assert.Contains("more elements than 64 bits count", message);
    }

    [Theory]
    [InlineData("[-2,-2]", "negative")]
    [InlineData("[2147483647,2147483647]", "64 bits")]
    [InlineData("[2147483648]", "more than 2147483647")]
    [InlineData("[1.5]", "not an integer")]
    public void Hostile_dimensions_are_refused(string shape, string reason)
    {
        Assert.Contains(reason, Refused(File("{\"x\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[0,16]}}", new byte[16]), load: false));
    }

    [Theory]
    [InlineData("[0,8]", "[4,12]", 12, "overlaps")]
    [InlineData("[0,8]", "[12,20]", 20, "gap")]
    [InlineData("[0,8]", "[8,16]", 20, "4 trailing bytes")]
    public void Offsets_must_tile_the_data_exactly(string first, string second, int length, string reason)
    {
        var header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" + first + "},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" + second + "}}";
        Assert.Contains(reason, Refused(File(header, new byte[length]), load: false));
    }

    [Fact]
    public void A_header_length_one_byte_short_is_refused_instead_of_shifting_every_weight()
    {
        var bytes = File(Model(Linear, Tensors), new byte[12]);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, BinaryPrimitives.ReadUInt64LittleEndian(bytes) - 1);
        Assert.Contains("JSON header does not parse", Refused(bytes));
    }

    [Fact]
    public void Invalid_UTF8_and_JSON_of_the_wrong_types_are_named()
    {
        Assert.Contains("not valid UTF-8", Refused([8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}', (byte)' ']));
        Assert.Contains("is an array, not an object", Refused(File("[1]", []), load: false));
        Assert.Contains("__metadata__ 'k'", Refused(File("""{"__metadata__":{"k":1}}""", []), load: false));
        Assert.Contains("listed twice", Refused(File("""{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}""", []), load: false));
    }

    [Fact]
    public void An_empty_layer_list_is_refused_with_a_message()
    {
        Assert.Contains("'layers': is empty", Refused(File(Model("""{"inputs":784,"layers":[]}""", ""), [])));
    }

    [Fact]
    public void A_hundred_thousand_layers_are_refused_before_anything_is_built()
    {
        var layers = string.Join(",", Enumerable.Repeat("""{"type":"ReLU"}""", 100_000));
        Assert.Contains("more than the 4,096", Refused(File(Model($$"""{"inputs":784,"layers":[{{layers}}]}""", ""), [])));
    }

    [Fact]
    public void In_features_must_match_the_width_before()
    {
        Assert.Contains("in_features 3, but the layer before it gives 2",
            Refused(File(Model(Linear.Replace("\"in_features\":2", "\"in_features\":3"), Tensors), new byte[12])));
    }

    [Fact]
    public void A_tensor_no_layer_uses_is_refused()
    {
        var message = Refused(File(Model(Linear, Tensors + ""","extra":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}"""), new byte[16]));
        Assert.Contains("tensor 'extra'", message);
        Assert.Contains("no layer of the architecture uses it", message);
    }

    [Fact]
    public void NaN_weights_are_refused_unless_the_caller_allows_them()
    {
        var data = new byte[12];
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4), float.NaN);
        var bytes = File(Model(Linear, Tensors), data);
        Assert.Contains("tensor '0.weight': element 1 is NaN", Refused(bytes));
        var path = Write(bytes);
        Assert.True(float.IsNaN(Network.Load(path, allowNonFinite: true).Parameters[0].Value[0, 1]));
        System.IO.File.Delete(path);
    }

    [Fact]
    public void Paths_that_are_not_regular_files_give_named_errors_without_blocking()
    {
        var results = Harness.RunAll(Harness.NotFiles(".safetensors"), path => Network.Load(path));
        Assert.All(results, r => Assert.Equal(Outcome.NamedError, r.Outcome));
        if (OperatingSystem.IsLinux())
        {
            Assert.Contains("FIFO", results.Single(r => r.Case.Class.EndsWith("FIFO", StringComparison.Ordinal)).Detail);
            Assert.Contains("character device", results.Single(r => r.Case.Class == "not a file: /dev/zero").Detail);
        }
    }

    [Fact]
    public void A_gzip_bomb_is_refused_after_the_declared_size()
    {
        byte[] header = [0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3, 4];
        var path = Fixtures.TempFile(".gz");
        System.IO.File.WriteAllBytes(path, [.. IdxCases.Gzip(header), .. IdxCases.Gzip(new byte[64 << 20], System.IO.Compression.CompressionLevel.SmallestSize)]);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => Core.Idx.read(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "the bomb was inflated");
        Assert.Contains("more decompressed bytes follow", e.Message);
        System.IO.File.Delete(path);
    }
}
