using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;

namespace Stockcast.Alerting.Engine;

/// <summary>
/// SKUs whose inputs changed since they were last evaluated, each with when its first pending
/// change arrived (for the change-to-alert metric). A burst of changes to one SKU costs one evaluation.
/// </summary>
public sealed class DirtySkus
{
    private readonly ConcurrentDictionary<string, long> _pending = new(StringComparer.Ordinal);
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Mark(string sku)
    {
        _pending.TryAdd(sku, Stopwatch.GetTimestamp());
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Waits until some SKU is marked or <paramref name="timeout"/> passes; takes what is pending.</summary>
    public async Task<IReadOnlyList<(string Sku, long ChangedAt)>> TakeAsync(Task timeout, CancellationToken cancellationToken)
    {
        if (_pending.IsEmpty)
        {
            await Task.WhenAny(_wake.Reader.WaitToReadAsync(cancellationToken).AsTask(), timeout);
            cancellationToken.ThrowIfCancellationRequested();
        }
        _wake.Reader.TryRead(out _);
        var taken = new List<(string, long)>(_pending.Count);
        foreach (var sku in _pending.Keys)
        {
            if (_pending.TryRemove(sku, out var at))
            {
                taken.Add((sku, at));
            }
        }
        return taken;
    }
}
