using System.Globalization;
using Stockcast.Bench.Harness;

namespace Stockcast.Bench.Report;

/// <summary>Everything the report is written from, gathered by the run.</summary>
public sealed record RunFacts(
    Knobs Knobs,
    Machine Machine,
    string Configuration,
    RedisCeiling Ceiling,
    Figures Figures,
    MemorySampler Memory,
    Func<string, string> CommandStatsOf,
    IReadOnlyList<string> Failed,
    IReadOnlyDictionary<string, long> HighWaterKb,
    string FanoutLoadAtStart,
    string FanoutLoadAtEnd)
{
    /// <summary>VmHWM at the end of the run in MiB, rounded ("0" when the process did not run).</summary>
    public string HighWaterMib(string process)
        => (HighWaterKb.GetValueOrDefault(process) / 1024.0).ToString("F0", CultureInfo.InvariantCulture);

    public string CeilingRps(string label, string test) => Ceiling.Figure(label, test, "rps") ?? Figures.Missing;
}
