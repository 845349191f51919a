using Stockcast.Overlay.Board;
using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Tests;

/// <summary>The board chart's data: the room's figures as its viewers were shown them over the last half hour.</summary>
public sealed class StockHistoryTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 5, 10, 0, 0, TimeSpan.Zero);
    private static readonly Room Room = new() { Id = "r", Market = "US" };

    private static RoomUpdate Shown(long atp, bool stale = false)
        => new() { Skus = { new SkuStock { Sku = "TEE", AvailableToPromise = atp, Colour = atp > 0 ? StockColour.Green : StockColour.SoldOut, Stale = stale } } };

    [Fact]
    public void ThePointsAreTheChangesWithTheValueAtTheWindowsStartFirst()
    {
        var history = new StockHistory();
        history.Observe(Room, Shown(100), Start);
        history.Observe(Room, Shown(100), Start.AddMinutes(1));        // unchanged: no point
        history.Observe(Room, Shown(90), Start.AddMinutes(10));
        history.Observe(Room, Shown(55, stale: true), Start.AddMinutes(15)); // "updating…": not a figure
        history.Observe(Room, Shown(70), Start.AddMinutes(35));

        var now = Start.AddMinutes(40);
        var points = history.Points("r", "TEE", now).Select(p => (TimeSpan.FromMilliseconds(p.MsAgo), p.AvailableToPromise));

        // 90 was shown from 10:10, so it stands at the window's start (10:10 too); 100 was replaced before it.
        Assert.Equal([(TimeSpan.FromMinutes(30), 90L), (TimeSpan.FromMinutes(5), 70L)], points);
    }

    [Fact]
    public void ABusySkuDrawsAsTheLastChangeOfEachFiveSeconds()
    {
        var history = new StockHistory();
        for (var i = 0; i < 1000; i++)
        {
            history.Observe(Room, Shown(5000 - i), Start.AddMilliseconds(i * 100)); // ten a second for 100 s
        }

        var points = history.Points("r", "TEE", Start.AddSeconds(100));

        Assert.Equal(20, points.Count);
        Assert.Equal([4951L, 4901L], points.Take(2).Select(p => p.AvailableToPromise));
        Assert.Equal(4001L, points[^1].AvailableToPromise);
    }

    [Fact]
    public void AForgottenRoomHasNoHistory()
    {
        var history = new StockHistory();
        history.Observe(Room, Shown(100), Start);
        history.Forget("r");

        Assert.Empty(history.Points("r", "TEE", Start));
    }
}
