namespace Stockcast.Bench.Report;

/// <summary>The goals the report judges against (issues 1 and 5) and the product brief's bound for stock shown live.</summary>
public static class Goals
{
    public const double ApplyEventsPerSecond = 100_000;
    public const double WatchP99Ms = 25;
    /// <summary>GetAvailability's calls/s as a share of the bare grpc-dotnet server's, same callers, same run (issue 17).</summary>
    public const double AvailabilityShareOfCeiling = 0.6;
    public const double LedgerRssMib = 300;
    public const double LiveLagBoundMs = 10_000;
    public const double FanoutP99Ms = 100;
    public const double FanoutRssMib = 1024;
    public const int FanoutViewers = 10_000;
    /// <summary>A warehouse change on the viewers' screens, the whole path (issue 17).</summary>
    public const double PathP99Ms = 50;

    /// <summary>Connector throughput with 1 % bad records, as a share of the clean figure (issue 14).</summary>
    public const double MessyThroughputShare = 0.9;
}
