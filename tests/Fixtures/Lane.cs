namespace Stockcast.Testing;

/// <summary>
/// The two lanes of the suite, as an xunit trait: <c>make test-fast</c> runs every test outside the
/// slow lane (unit tests and services in-process), <c>make test</c> runs both. A test belongs in the
/// slow lane when it runs a service as a process for its own sake, kills or restarts something,
/// drives a browser, needs a Redis Cluster or promtool, or takes more than a few seconds.
/// Mark a class when all its tests are slow, else the slow tests: <c>[Trait(Lane.Name, Lane.Slow)]</c>.
/// </summary>
public static class Lane
{
    public const string Name = "Lane";
    public const string Slow = "Slow";
}
