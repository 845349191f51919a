namespace Stockcast.Alerting.Demand;

/// <summary>
/// An exponentially weighted event rate: each event adds units/τ, and the sum decays as e^(-t/τ),
/// with τ = half-life / ln 2. A steady pace of r units/s settles at r; a burst lifts the rate and
/// fades with the half-life, so one flash of orders does not read as the new pace.
/// </summary>
public sealed class EwmaRate(TimeSpan halfLife)
{
    private readonly double _tau = halfLife.TotalSeconds / Math.Log(2);
    private double _value;
    private DateTimeOffset _at = DateTimeOffset.MinValue;

    public void Add(double units, DateTimeOffset at)
    {
        if (at > _at)
        {
            _value = ValueAt(at);
            _at = at;
        }
        // An event older than the last one counts as of the last one: signals arrive a little out of order.
        _value += units / _tau;
    }

    /// <summary>Units per second at <paramref name="now"/>.</summary>
    public double PerSecond(DateTimeOffset now) => now <= _at ? _value : ValueAt(now);

    public double PerHour(DateTimeOffset now) => PerSecond(now) * 3600;

    private double ValueAt(DateTimeOffset t) => _at == DateTimeOffset.MinValue ? 0 : _value * Math.Exp(-(t - _at).TotalSeconds / _tau);
}
