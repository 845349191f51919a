namespace Stockcast.WarehouseSim.Model;

/// <summary>Scenario time: it only moves when the simulator advances it, so tests decide what "now" is.</summary>
public sealed class ScenarioClock : TimeProvider
{
    private long _utcTicks = Scenario.DefaultStart.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    public void Reset(DateTimeOffset start) => Interlocked.Exchange(ref _utcTicks, start.UtcTicks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _utcTicks, by.Ticks);
}
