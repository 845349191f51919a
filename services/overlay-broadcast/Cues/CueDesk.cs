using System.Collections.Concurrent;
using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Stockcast.LedgerClient;
using Stockcast.Overlay.Broadcast;
using Stockcast.Overlay.V1;
using Stockcast.ServiceDefaults.Identifiers;

namespace Stockcast.Overlay.Cues;

/// <summary>
/// What the host should say now, derived from what the room's viewers were just shown: a featured SKU
/// turning red (low stock), selling out (or, with stock inbound, a pre-sale to offer), coming back, and
/// a new spotlight. A cue is kept as facts and put into words per listener's language (a Chinese host of
/// a German room reads Chinese). Rate-limited: one per SKU and type per the room's cue interval, and
/// <see cref="OverlayOptions.CuesPerMinute"/> a room; muted types are not raised. Each replica derives
/// the same cues from the same figures; a listener follows one replica's.
/// </summary>
public sealed class CueDesk(StockMirror ledger, IOptions<OverlayOptions> options) : IRoomObserver
{
    public const int Kept = 20;
    private readonly ConcurrentDictionary<string, RoomCues> _rooms = new(StringComparer.Ordinal);

    public void Observe(Room room, RoomUpdate update, DateTimeOffset now)
        => _rooms.GetOrAdd(room.Id, _ => new RoomCues { PerMinute = options.Value.CuesPerMinute }).Observe(room, update, now, this);

    public void Forget(string roomId)
    {
        if (_rooms.TryRemove(roomId, out var gone))
        {
            gone.Close();
        }
    }

    /// <summary>The room's latest cues (facts only), oldest first.</summary>
    public IReadOnlyList<Cue> Recent(string roomId) => _rooms.TryGetValue(roomId, out var cues) ? cues.Recent() : [];

    /// <summary>The room's recent cues, then each new one, until disposed or the room is gone. At most 64 wait unread (the oldest go).</summary>
    public CueListener Listen(string roomId) => _rooms.GetOrAdd(roomId, _ => new RoomCues { PerMinute = options.Value.CuesPerMinute }).Listen();

    /// <summary>The cue in words: <paramref name="language"/> when given (any tag that resolves), else the room's host language, else its viewers'.</summary>
    public static Cue InWords(Room room, Cue facts, string language)
    {
        var tag = Languages.Resolve(language) ?? Languages.Resolve(room.HostLanguage) ?? RoomComposer.ViewerLanguage(room);
        var featured = room.Featured.FirstOrDefault(f => f.Sku == facts.Sku);
        var name = featured is null ? facts.Sku : RoomComposer.NameOf(featured, tag);
        var (key, n) = facts.Type switch
        {
            CueType.LowStock => ("cue.lowStock", facts.AvailableToPromise),
            CueType.SoldOut => ("cue.soldOut", 0),
            CueType.BackInStock => ("cue.backInStock", facts.AvailableToPromise),
            CueType.Spotlight => ("cue.spotlight", facts.AvailableToPromise),
            CueType.PreSale => ("cue.preSale", facts.ShipsInDays),
            _ => throw new ArgumentOutOfRangeException(nameof(facts), facts.Type, "not a cue type"),
        };
        var cue = facts.Clone();
        cue.Language = tag;
        cue.Name = name;
        cue.Text = Catalogs.Embedded.Format(tag, key, n, name, facts.Market);
        return cue;
    }

    private Cue? Raise(Room room, CueType type, SkuStock stock, long previous, DateTimeOffset now) => room.MutedCues.Contains(type) ? null : new Cue
    {
        Type = type,
        RoomId = room.Id,
        Sku = stock.Sku,
        Market = room.Market,
        AvailableToPromise = stock.AvailableToPromise,
        PreviousAvailable = previous,
        ShipsInDays = type == CueType.PreSale ? options.Value.PreSaleDays : 0,
        At = Timestamp.FromDateTimeOffset(now),
    };

    /// <summary>Sold out here with stock on its way to a warehouse serving the market: offer a pre-sale rather than say goodbye.</summary>
    private CueType SoldOut(string sku, string market) => ledger.ForMarket(sku, market).Sum(f => f.Quantities?.Inbound ?? 0) > 0 ? CueType.PreSale : CueType.SoldOut;

    private sealed class RoomCues
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<string, (StockColour Colour, long Available)> _shown = new(StringComparer.Ordinal);
        private readonly Dictionary<(string Sku, CueType Type), DateTimeOffset> _lastRaised = [];
        private readonly Queue<DateTimeOffset> _lastMinute = new();
        private readonly List<Cue> _recent = [];
        private readonly List<Channel<Cue>> _listeners = [];
        private string? _spotlight;
        private long _sequence;

        public required int PerMinute { get; init; }

        public void Observe(Room room, RoomUpdate update, DateTimeOffset now, CueDesk desk)
        {
            lock (_gate)
            {
                foreach (var stock in update.Skus)
                {
                    // "Updating…" says nothing new about the stock: the change is judged against the last real figure.
                    if (stock.Stale || stock.Colour == StockColour.Unspecified)
                    {
                        continue;
                    }
                    // The first figure seen sets the scene: a restart or a new room does not announce the whole room.
                    if (_shown.TryGetValue(stock.Sku, out var before))
                    {
                        var type = (before.Colour, stock.Colour) switch
                        {
                            (not StockColour.SoldOut, StockColour.SoldOut) => desk.SoldOut(stock.Sku, room.Market),
                            (StockColour.SoldOut, not StockColour.SoldOut) => CueType.BackInStock,
                            (StockColour.Green or StockColour.Yellow, StockColour.Red) => CueType.LowStock,
                            _ => CueType.Unspecified,
                        };
                        if (type != CueType.Unspecified)
                        {
                            Add(room, desk.Raise(room, type, stock, before.Available, now), now);
                        }
                    }
                    _shown[stock.Sku] = (stock.Colour, stock.AvailableToPromise);
                }
                var spotlight = update.Spotlight is { } card ? $"{card.Stock.Sku}@{card.ShownAt}" : "";
                if (_spotlight is not null && spotlight != _spotlight && update.Spotlight is { } shown)
                {
                    Add(room, desk.Raise(room, CueType.Spotlight, shown.Stock, shown.Stock.AvailableToPromise, now), now);
                }
                _spotlight = spotlight;
            }
        }

        private void Add(Room room, Cue? cue, DateTimeOffset now)
        {
            if (cue is null)
            {
                return;
            }
            var interval = TimeSpan.FromSeconds(room.CueIntervalSeconds > 0 ? room.CueIntervalSeconds : Rooms.RoomValidation.DefaultCueIntervalSeconds);
            if (_lastRaised.TryGetValue((cue.Sku, cue.Type), out var last) && now - last < interval)
            {
                return;
            }
            while (_lastMinute.TryPeek(out var oldest) && now - oldest >= TimeSpan.FromMinutes(1))
            {
                _lastMinute.Dequeue();
            }
            if (_lastMinute.Count >= PerMinute)
            {
                return;
            }
            _lastMinute.Enqueue(now);
            _lastRaised[(cue.Sku, cue.Type)] = now;
            cue.Id = $"{now.ToUnixTimeMilliseconds()}-{++_sequence}";
            _recent.Add(cue);
            if (_recent.Count > Kept)
            {
                _recent.RemoveAt(0);
            }
            foreach (var listener in _listeners)
            {
                listener.Writer.TryWrite(cue);
            }
        }

        public IReadOnlyList<Cue> Recent()
        {
            lock (_gate)
            {
                return [.. _recent];
            }
        }

        public CueListener Listen()
        {
            var channel = Channel.CreateBounded<Cue>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
            lock (_gate)
            {
                foreach (var cue in _recent)
                {
                    channel.Writer.TryWrite(cue);
                }
                _listeners.Add(channel);
            }
            return new CueListener(channel.Reader, () =>
            {
                lock (_gate)
                {
                    _listeners.Remove(channel);
                }
            });
        }

        public void Close()
        {
            lock (_gate)
            {
                foreach (var listener in _listeners)
                {
                    listener.Writer.TryComplete();
                }
            }
        }
    }
}

/// <summary>One listener's cues, in order; ends when the room is deleted.</summary>
public sealed class CueListener(ChannelReader<Cue> reader, Action stop) : IDisposable
{
    public ChannelReader<Cue> Reader => reader;

    public void Dispose() => stop();
}
