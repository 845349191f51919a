namespace Stockcast.WarehouseSim.Model;

/// <summary>
/// The time the APIs' rate limits refill on: the wall clock in real-time mode, continuous as the real
/// APIs' quotas are (scenario time moves there only in whole seconds); scenario time otherwise, so a
/// test that moves the clock moves the quotas with it.
/// </summary>
public sealed class QuotaClock(SimOptions options, ScenarioClock scenario) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => options.RealTime ? System.GetUtcNow() : scenario.GetUtcNow();
}
