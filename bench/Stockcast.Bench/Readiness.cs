using System.Diagnostics;
using Grpc.Core;
using Stockcast.Ledger.V1;

namespace Stockcast.Bench;

public static class Readiness
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Polls /readyz, then ListWarehouses until the configured warehouses are registered, within a deadline.</summary>
    public static async Task WaitAsync(Ledger ledger, string httpBase, int warehouses, TimeSpan timeout, int ledgerPid = 0)
    {
        var started = Stopwatch.GetTimestamp();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var ready = false;
        var seen = -1;
        string last = "no answer yet";
        while (Stopwatch.GetElapsedTime(started) < timeout)
        {
            if (ledgerPid > 0 && !Directory.Exists($"/proc/{ledgerPid}"))
            {
                throw new InvalidOperationException($"the ledger (pid {ledgerPid}) exited before it was ready");
            }
            try
            {
                if (!ready)
                {
                    using var response = await http.GetAsync(httpBase.TrimEnd('/') + "/readyz");
                    ready = response.IsSuccessStatusCode;
                    last = $"/readyz answered {(int)response.StatusCode}";
                }
                if (ready)
                {
                    var list = await ledger.Client().ListWarehousesAsync(new ListWarehousesRequest(), ledger.AuthHeaders, deadline: DateTime.UtcNow.AddSeconds(2));
                    seen = list.Warehouses.Count;
                    last = $"ListWarehouses returned {seen}";
                    if (seen >= warehouses)
                    {
                        Console.WriteLine($"  ledger ready after {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s: {string.Join(", ", list.Warehouses.Select(w => $"{w.WarehouseId}[{string.Join('/', w.Markets)}]"))}");
                        return;
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or RpcException)
            {
                last = ex.Message;
            }
            await Task.Delay(PollInterval); // between checks, until the deadline above
        }
        throw new TimeoutException($"the ledger was not ready within {timeout.TotalSeconds:F0} s ({last})");
    }

    /// <summary>Polls the connector's /readyz, then ListFeeds until the configured feeds are there, and the simulator's /healthz when given.</summary>
    public static async Task WaitForConnectorAsync(ConnectorUnderTest connector, int feeds, string simUrl, TimeSpan timeout, int connectorPid = 0)
    {
        var started = Stopwatch.GetTimestamp();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var ready = false;
        var simReady = simUrl.Length == 0;
        string last = "no answer yet";
        while (Stopwatch.GetElapsedTime(started) < timeout)
        {
            if (connectorPid > 0 && !Directory.Exists($"/proc/{connectorPid}"))
            {
                throw new InvalidOperationException($"the connector (pid {connectorPid}) exited before it was ready");
            }
            try
            {
                if (!ready)
                {
                    using var response = await http.GetAsync(new Uri(connector.HttpBase, "readyz"));
                    ready = response.IsSuccessStatusCode;
                    last = $"the connector's /readyz answered {(int)response.StatusCode}";
                }
                if (!simReady)
                {
                    using var response = await http.GetAsync(simUrl.TrimEnd('/') + "/healthz");
                    simReady = response.IsSuccessStatusCode;
                    last = $"the simulator's /healthz answered {(int)response.StatusCode}";
                }
                if (ready && simReady)
                {
                    var list = await connector.Feeds.ListFeedsAsync(new Stockcast.Connector.V1.ListFeedsRequest(), connector.AuthHeaders, deadline: DateTime.UtcNow.AddSeconds(2));
                    last = $"ListFeeds returned {list.Feeds.Count}";
                    if (list.Feeds.Count >= feeds)
                    {
                        Console.WriteLine($"  connector ready after {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s: {string.Join(", ", list.Feeds.Select(f => $"{f.WarehouseId}[{f.Source}]"))}");
                        return;
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or RpcException)
            {
                last = ex.Message;
            }
            await Task.Delay(PollInterval); // between checks, until the deadline above
        }
        throw new TimeoutException($"the connector was not ready within {timeout.TotalSeconds:F0} s ({last})");
    }

    /// <summary>
    /// Polls the alerting service's /readyz (it has listed the whole ledger) and then its metrics until
    /// it leads (stockcast_alerting_leader 1): only the leader evaluates rules, so before that no alert comes.
    /// </summary>
    public static Task WaitForAlertingAsync(AlertingUnderTest alerting, TimeSpan timeout, int alertingPid = 0)
        => WaitForServiceAsync(alerting, timeout, alertingPid, async () =>
        {
            var leader = (await alerting.ScrapeAsync(CancellationToken.None)).Sum("stockcast_alerting_leader");
            return leader == 1 ? null : $"stockcast_alerting_leader is {leader}";
        });

    /// <summary>Polls the overlay service's /readyz within a deadline.</summary>
    public static Task WaitForOverlayAsync(OverlayUnderTest overlay, TimeSpan timeout, int overlayPid = 0)
        => WaitForServiceAsync(overlay, timeout, overlayPid, thenUntil: null);

    /// <summary>
    /// Polls the service's /readyz, then (when given) <paramref name="thenUntil"/> until it answers null
    /// (else: what it is still waiting for), within a deadline; fails at once if the process exits.
    /// </summary>
    private static async Task WaitForServiceAsync<T>(ServiceUnderTest<T> service, TimeSpan timeout, int pid, Func<Task<string?>>? thenUntil)
    {
        var started = Stopwatch.GetTimestamp();
        var ready = false;
        string last = "no answer yet";
        while (Stopwatch.GetElapsedTime(started) < timeout)
        {
            if (pid > 0 && !Directory.Exists($"/proc/{pid}"))
            {
                throw new InvalidOperationException($"the {service.Name} service (pid {pid}) exited before it was ready");
            }
            try
            {
                if (!ready)
                {
                    using var response = await service.Http.GetAsync(new Uri(service.HttpBase, "readyz"));
                    ready = response.IsSuccessStatusCode;
                    last = $"the {service.Name} service's /readyz answered {(int)response.StatusCode}";
                }
                if (ready && (thenUntil is null || (last = await thenUntil() ?? "") == ""))
                {
                    Console.WriteLine($"  {service.Name} ready after {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.Message;
            }
            await Task.Delay(PollInterval); // between checks, until the deadline above
        }
        throw new TimeoutException($"the {service.Name} service was not ready within {timeout.TotalSeconds:F0} s ({last})");
    }
}
