using System.Globalization;
using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using AlertingClient = Stockcast.Alerting.V1.Alerting.AlertingClient;

namespace Stockcast.Bench;

/// <summary>The samples of one Prometheus text-format scrape ("name{labels} value" lines), by series.</summary>
public sealed class PrometheusScrape
{
    private readonly Dictionary<string, double> _series = new(StringComparer.Ordinal);

    public static PrometheusScrape Parse(string text)
    {
        var scrape = new PrometheusScrape();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var space = line.LastIndexOf(' ');
            if (space > 0 && double.TryParse(line.AsSpan(space + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                scrape._series[line[..space].Trim()] = value;
            }
        }
        return scrape;
    }

    /// <summary>A histogram's cumulative buckets (upper bound, count), smallest bound first.</summary>
    public IReadOnlyList<(double Le, double Count)> Buckets(string name)
    {
        var prefix = name + "_bucket{le=\"";
        return [.. _series
            .Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(e => (Le: ParseBound(e.Key[prefix.Length..e.Key.IndexOf('"', prefix.Length)]), Count: e.Value))
            .OrderBy(b => b.Le)];
    }

    private static double ParseBound(string le)
        => le == "+Inf" ? double.PositiveInfinity : double.Parse(le, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>The sum over every series of <paramref name="name"/> (any labels); NaN when there is none.</summary>
    public double Sum(string name)
    {
        var found = false;
        var sum = 0.0;
        foreach (var (series, value) in _series)
        {
            if (series == name || (series.StartsWith(name, StringComparison.Ordinal) && series.Length > name.Length && series[name.Length] == '{'))
            {
                found = true;
                sum += value;
            }
        }
        return found ? sum : double.NaN;
    }
}
