// MNIST-format (IDX) image and label files, gzipped or not, with errors that name the file and what is wrong with it.
// Shared by the samples that train on images (linked into each project).
using System.Buffers.Binary;
using System.IO.Compression;

namespace OdeGen.Samples.Data;

/// <summary>Grey-level images and their class labels, pixels scaled to [0, 1].</summary>
public sealed class ImageDataset
{
    internal ImageDataset(string name, int count, int rows, int columns, byte[] pixels, byte[] labels)
    {
        Name = name;
        Count = count;
        Rows = rows;
        Columns = columns;
        Pixels = pixels;
        Labels = labels;
    }

    /// <summary>Where the images came from (for messages).</summary>
    public string Name { get; }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Image height.</summary>
    public int Rows { get; }

    /// <summary>Image width.</summary>
    public int Columns { get; }

    /// <summary>Pixels per image.</summary>
    public int Size => Rows * Columns;

    /// <summary>Raw pixels, image after image, row-major, 0–255.</summary>
    public byte[] Pixels { get; }

    /// <summary>Class of each image.</summary>
    public byte[] Labels { get; }

    /// <summary>Image <paramref name="index"/> scaled to [0, 1] into <paramref name="destination"/>.</summary>
    public void Image(int index, Span<double> destination)
    {
        ReadOnlySpan<byte> source = Pixels.AsSpan(index * Size, Size);
        for (int i = 0; i < source.Length; i++) destination[i] = source[i] / 255.0;
    }
}

/// <summary>The files of a dataset are not where they were looked for.</summary>
public sealed class DatasetMissingException(string message) : Exception(message);

/// <summary>Reads IDX files (the MNIST format: a magic number, big-endian sizes, then unsigned bytes).</summary>
public static class Idx
{
    private const int ImagesMagic = 0x00000803, LabelsMagic = 0x00000801;

    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package puts Fashion-MNIST.</summary>
    public const string FashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The four files of an MNIST-format dataset, without the optional ".gz".</summary>
    public static readonly string[] Files = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>
    /// Loads the training and test sets from <paramref name="directory"/>, each file gzipped or not. Missing files give a
    /// <see cref="DatasetMissingException"/> that lists what was looked for and how to get it; malformed ones an
    /// <see cref="InvalidDataException"/> naming the file.
    /// </summary>
    public static (ImageDataset Train, ImageDataset Test) Load(string directory)
    {
        var paths = new string[Files.Length];
        var missing = new List<string>();
        for (int i = 0; i < Files.Length; i++)
        {
            string plain = Path.Combine(directory, Files[i]), gz = plain + ".gz";
            paths[i] = File.Exists(gz) ? gz : plain;
            if (!File.Exists(paths[i])) missing.Add($"{plain}[.gz]");
        }

        if (missing.Count > 0)
        {
            throw new DatasetMissingException(
                $"The dataset files are missing; looked for:\n  {string.Join("\n  ", missing)}\n" +
                $"Install Fashion-MNIST with `sudo apt-get install dataset-fashion-mnist` (it goes to {FashionMnistDirectory}), " +
                "or pass --data DIR with a folder that holds the four MNIST-format files.");
        }

        return (Read("train", paths[0], paths[1]), Read("test", paths[2], paths[3]));
    }

    /// <summary>Reads one images file and its labels file and checks that they agree.</summary>
    public static ImageDataset Read(string name, string imagesPath, string labelsPath)
    {
        (int count, int rows, int columns, byte[] pixels) = ReadImages(imagesPath);
        byte[] labels = ReadLabels(labelsPath);
        if (labels.Length != count)
            throw new InvalidDataException($"{imagesPath} holds {count} images but {labelsPath} holds {labels.Length} labels; the two files must come from the same set.");
        return new ImageDataset(name, count, rows, columns, pixels, labels);
    }

    /// <summary>An IDX images file (magic 0x00000803): count, rows, columns and the pixels.</summary>
    public static (int Count, int Rows, int Columns, byte[] Pixels) ReadImages(string path)
    {
        byte[] bytes = ReadAll(path);
        Header(path, bytes, ImagesMagic, 3, "images");
        int count = Size(path, bytes, 4, "image count"), rows = Size(path, bytes, 8, "row count"), columns = Size(path, bytes, 12, "column count");
        long expected = (long)count * rows * columns;
        Body(path, bytes, 16, expected);
        return (count, rows, columns, bytes.AsSpan(16, (int)expected).ToArray());
    }

    /// <summary>An IDX labels file (magic 0x00000801): one byte per image.</summary>
    public static byte[] ReadLabels(string path)
    {
        byte[] bytes = ReadAll(path);
        Header(path, bytes, LabelsMagic, 1, "labels");
        int count = Size(path, bytes, 4, "label count");
        Body(path, bytes, 8, count);
        return bytes.AsSpan(8, count).ToArray();
    }

    private static byte[] ReadAll(string path)
    {
        using FileStream file = File.OpenRead(path);
        Span<byte> start = stackalloc byte[2];
        int read = file.Read(start);
        file.Position = 0;
        // gzip's own magic (1f 8b) decides, not the name.
        if (read == 2 && start[0] == 0x1f && start[1] == 0x8b)
        {
            try
            {
                using var gzip = new GZipStream(file, CompressionMode.Decompress);
                using var memory = new MemoryStream();
                gzip.CopyTo(memory);
                return memory.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{path}: the gzip stream is damaged ({e.Message}).", e);
            }
        }

        using var plain = new MemoryStream();
        file.CopyTo(plain);
        return plain.ToArray();
    }

    private static void Header(string path, byte[] bytes, int magic, int dimensions, string what)
    {
        int headerLength = 4 + (4 * dimensions);
        if (bytes.Length < headerLength)
            throw new InvalidDataException($"{path}: {bytes.Length} bytes is too short for an IDX {what} header ({headerLength} bytes).");
        int found = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (found != magic)
            throw new InvalidDataException($"{path}: magic number 0x{found:X8}, expected 0x{magic:X8} for IDX {what}; is this the right file?");
    }

    private static int Size(string path, byte[] bytes, int offset, string what)
    {
        int value = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset));
        if (value < 0) throw new InvalidDataException($"{path}: the {what} is {value}.");
        return value;
    }

    private static void Body(string path, byte[] bytes, int offset, long expected)
    {
        long available = bytes.Length - offset;
        if (available < expected)
            throw new InvalidDataException($"{path}: the header promises {expected} bytes of data but the file holds {available}; it is truncated.");
        if (available > expected)
            throw new InvalidDataException($"{path}: the header promises {expected} bytes of data but the file holds {available}; the sizes disagree.");
    }
}
