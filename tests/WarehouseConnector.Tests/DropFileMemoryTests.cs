using Stockcast.LedgerClient;
using System.Globalization;
using System.Text;
using Stockcast.Connector.Feeds;
using Stockcast.Connector.Feeds.FileDrop;
using Stockcast.Testing;
using Xunit.Abstractions;

namespace Stockcast.Connector.Tests;

/// <summary>Tests that measure the process's heap, alone: other tests running beside them would be counted too.</summary>
[CollectionDefinition(nameof(HeapMeasurements), DisableParallelization = true)]
public sealed class HeapMeasurements;

/// <summary>
/// A drop file is never held whole: a 200,000-row export (tens of MB) is checked and read in batches
/// of 1000 with the live heap staying a small fraction of the file, sampled (after a full collection)
/// every megabyte the readers take from the file.
/// </summary>
[Collection(nameof(HeapMeasurements))]
[Trait(Lane.Name, Lane.Slow)]
public sealed class DropFileMemoryTests(ITestOutputHelper output) : IDisposable
{
    private const int Rows = 200_000;
    private const int Batch = 1000;
    private static readonly CanonicalRecords Canonical = new(new StockEventRules(TimeProvider.System));
    private readonly string _folder = Directory.CreateTempSubdirectory("stockcast-memory-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(".csv")]
    [InlineData(".json")]
    [InlineData(".jsonl")]
    public async Task ALargeExportIsCheckedAndReadInMemoryFarBelowItsSize(string extension)
    {
        var path = Path.Combine(_folder, "large" + extension);
        await WriteAsync(path, extension);
        var size = new FileInfo(path).Length;
        var feed = new FeedOptions { WarehouseId = "us-drop", Source = FeedOptions.FileDropSource };
        var rows = new ExportRows(new WarehouseRouting(feed, [feed]), DateTimeOffset.UtcNow);
        var format = DropFormats.For(extension, feed)!;
        var heap = new HeapSampler();

        await using (var file = new SampledStream(File.OpenRead(path), heap.Sample))
        {
            await format.CheckAsync(file, rows, CancellationToken.None);
        }
        var batch = new List<NormalisedRecord>(Batch);
        long read = 0, refused = 0;
        await using (var file = new SampledStream(File.OpenRead(path), heap.Sample))
        {
            await foreach (var row in format.ReadAsync(file, rows, CancellationToken.None))
            {
                batch.Add(Canonical.Read(SourceRecord.Received(row.Record, DateTimeOffset.UtcNow), row.Feed));
                if (batch.Count == Batch)
                {
                    read += batch.Count;
                    refused += batch.Count(r => r.Event is null);
                    batch.Clear();
                }
            }
        }

        output.WriteLine($"{extension}: {size / 1048576.0:F1} MiB, {read} rows; live heap above the start at most {heap.Peak / 1048576.0:F2} MiB over {heap.Samples} samples");
        Assert.Equal((Rows, 0L), (read, refused));
        Assert.True(heap.Samples >= size / SampledStream.Every - 1, $"only {heap.Samples} samples");
        Assert.True(heap.Peak < size / 8, $"the live heap grew by {heap.Peak} bytes reading a {size}-byte file");
    }

    private static async Task WriteAsync(string path, string extension)
    {
        await using var file = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        var at = "2026-11-30T22:00:00Z";
        if (extension == ".csv")
        {
            await file.WriteLineAsync("Item Code,Display Name,Qty On Hand,Available,Allocated,In Transit,Bin,Last Updated");
        }
        else if (extension == ".json")
        {
            await file.WriteLineAsync("""{"records": [""");
        }
        for (var i = 0; i < Rows; i++)
        {
            var (onHand, reserved, inbound) = (7 + i % 997, i % 7, i % 50);
            await file.WriteLineAsync(extension switch
            {
                ".csv" => string.Create(CultureInfo.InvariantCulture, $"SKU-{i:D6},\"Oversize tee, white, size M, lot {i}\",{onHand},{onHand - reserved},{reserved},{inbound},A-{i % 100:D2}-{i % 7:D2},{at}"),
                _ => string.Create(CultureInfo.InvariantCulture, $$"""{"sku":"SKU-{{i:D6}}","name":"Oversize tee, white, size M, lot {{i}}","onHand":{{onHand}},"available":{{onHand - reserved}},"reserved":{{reserved}},"inbound":{{inbound}},"sourceTime":"{{at}}"}""")
                    + (extension == ".json" && i < Rows - 1 ? "," : ""),
            });
        }
        if (extension == ".json")
        {
            await file.WriteLineAsync("]}");
        }
    }

    /// <summary>The live heap (after a full collection) above where it stood when the sampler was made.</summary>
    private sealed class HeapSampler
    {
        private readonly long _start = GC.GetTotalMemory(forceFullCollection: true);

        public long Peak { get; private set; }

        public int Samples { get; private set; }

        public void Sample()
        {
            Peak = Math.Max(Peak, GC.GetTotalMemory(forceFullCollection: true) - _start);
            Samples++;
        }
    }

    /// <summary>A file stream that calls back every <see cref="Every"/> bytes read: while the reader holds what it holds.</summary>
    private sealed class SampledStream(Stream inner, Action sample) : Stream
    {
        public const int Every = 1 << 20;
        private long _sinceSample;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => Counted(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }

        private int Counted(int read)
        {
            _sinceSample += read;
            if (_sinceSample >= Every)
            {
                _sinceSample = 0;
                sample();
            }
            return read;
        }
    }
}
