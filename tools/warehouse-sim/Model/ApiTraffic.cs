namespace Stockcast.WarehouseSim.Model;

/// <summary>
/// Who reads each polled warehouse, and how: requests, requests in flight at once (most seen),
/// quota refusals (429), and the readers by their User-Agent, with how often the reader changed from
/// one request to the next. Tests of several connector replicas read it: one replica at a time per
/// feed changes reader only when a lease changes hands.
/// </summary>
public sealed class ApiTraffic
{
    private readonly Lock _gate = new();
    private Dictionary<string, Reading> _warehouses = new(StringComparer.Ordinal);

    public sealed record WarehouseTraffic(string Warehouse, long Requests, int MaxInFlight, long Throttled, long ReaderChanges, string? LastReader, IReadOnlyDictionary<string, long> Readers);

    private sealed class Reading
    {
        public long Requests;
        public int InFlight;
        public int MaxInFlight;
        public long Throttled;
        public long ReaderChanges;
        public string? LastReader;
        public readonly Dictionary<string, long> Readers = new(StringComparer.Ordinal);
    }

    /// <summary>Counts a request from its start; dispose the result when it is answered.</summary>
    public IDisposable Begin(string warehouse, string reader)
    {
        lock (_gate)
        {
            if (!_warehouses.TryGetValue(warehouse, out var r))
            {
                _warehouses[warehouse] = r = new Reading();
            }
            r.Requests++;
            r.InFlight++;
            r.MaxInFlight = Math.Max(r.MaxInFlight, r.InFlight);
            if (r.LastReader is not null && r.LastReader != reader)
            {
                r.ReaderChanges++;
            }
            r.LastReader = reader;
            r.Readers[reader] = r.Readers.GetValueOrDefault(reader) + 1;
            return new Done(this, r);
        }
    }

    public void Throttled(string warehouse)
    {
        lock (_gate)
        {
            if (_warehouses.TryGetValue(warehouse, out var r))
            {
                r.Throttled++;
            }
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            _warehouses = new(StringComparer.Ordinal);
        }
    }

    public IReadOnlyList<WarehouseTraffic> Report()
    {
        lock (_gate)
        {
            return [.. _warehouses.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => new WarehouseTraffic(
                w.Key, w.Value.Requests, w.Value.MaxInFlight, w.Value.Throttled, w.Value.ReaderChanges, w.Value.LastReader, new Dictionary<string, long>(w.Value.Readers)))];
        }
    }

    private sealed class Done(ApiTraffic traffic, Reading reading) : IDisposable
    {
        public void Dispose()
        {
            lock (traffic._gate)
            {
                reading.InFlight--;
            }
        }
    }
}
