using System.Buffers.Binary;
using System.IO.Compression;
using OdeGen.Samples.Data;

namespace OdeGen.Tests.Samples;

/// <summary>The samples' IDX reader: plain and gzipped files, and an error naming the file for each way a file can be wrong.</summary>
public sealed class IdxDatasetTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "odegen-idx-" + Guid.NewGuid().ToString("N"));

    public IdxDatasetTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static byte[] Images(int count, int rows, int columns, int magic = 0x803, int? dataBytes = null)
    {
        int size = dataBytes ?? (count * rows * columns);
        var bytes = new byte[16 + size];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), columns);
        for (int i = 0; i < size; i++) bytes[16 + i] = (byte)(i * 7);
        return bytes;
    }

    private static byte[] Labels(int count, int magic = 0x801)
    {
        var bytes = new byte[8 + count];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        for (int i = 0; i < count; i++) bytes[8 + i] = (byte)(i % 10);
        return bytes;
    }

    private string Write(string name, byte[] bytes, bool gzip = false)
    {
        string path = Path.Combine(_directory, name + (gzip ? ".gz" : ""));
        if (!gzip)
        {
            File.WriteAllBytes(path, bytes);
            return path;
        }

        using FileStream file = File.Create(path);
        using var stream = new GZipStream(file, CompressionLevel.Fastest);
        stream.Write(bytes);
        return path;
    }

    [Fact]
    public void Load_ReadsPlainAndGzippedFiles_AndScalesPixels()
    {
        Write("train-images-idx3-ubyte", Images(3, 2, 2), gzip: true);
        Write("train-labels-idx1-ubyte", Labels(3));
        Write("t10k-images-idx3-ubyte", Images(2, 2, 2));
        Write("t10k-labels-idx1-ubyte", Labels(2), gzip: true);
        (ImageDataset train, ImageDataset test) = Idx.Load(_directory);
        Assert.Equal((3, 2, 2, 4), (train.Count, train.Rows, train.Columns, train.Size));
        Assert.Equal(2, test.Count);
        Assert.Equal([0, 1, 2], train.Labels);
        double[] image = new double[4];
        train.Image(1, image);
        Assert.Equal([28 / 255.0, 35 / 255.0, 42 / 255.0, 49 / 255.0], image);
    }

    [Fact]
    public void MissingFiles_AreListed_WithTheInstallCommandAndTheFlag()
    {
        Write("train-images-idx3-ubyte", Images(1, 1, 1));
        var e = Assert.Throws<DatasetMissingException>(() => Idx.Load(_directory));
        Assert.Contains("train-labels-idx1-ubyte[.gz]", e.Message, StringComparison.Ordinal);
        Assert.Contains("t10k-images-idx3-ubyte[.gz]", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("train-images-idx3-ubyte[.gz]", e.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install dataset-fashion-mnist", e.Message, StringComparison.Ordinal);
        Assert.Contains("--data DIR", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongMagicNumber_NamesTheFile()
    {
        string path = Write("images", Labels(20));   // a labels file where images are expected
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("magic number 0x00000801", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedFile_NamesTheFile()
    {
        string path = Write("images", Images(3, 2, 2, dataBytes: 10), gzip: true);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        string header = Write("short", [0, 0, 8, 3, 0]);
        Assert.Contains("too short", Assert.Throws<InvalidDataException>(() => Idx.ReadImages(header)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CountsThatDisagree_NameBothFiles()
    {
        string images = Write("images", Images(3, 2, 2)), labels = Write("labels", Labels(4));
        var e = Assert.Throws<InvalidDataException>(() => Idx.Read("train", images, labels));
        Assert.Contains(images, e.Message, StringComparison.Ordinal);
        Assert.Contains(labels, e.Message, StringComparison.Ordinal);
        Assert.Contains("3 images", e.Message, StringComparison.Ordinal);
        Assert.Contains("4 labels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DamagedGzip_NamesTheFile()
    {
        string path = Path.Combine(_directory, "damaged.gz");
        File.WriteAllBytes(path, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff]);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }
}
