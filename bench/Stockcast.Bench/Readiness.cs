using System.Diagnostics;
using Grpc.Core;
using Stockcast.Ledger.V1;

namespace Stockcast.Bench;

public static class Readiness
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

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
                    var list = await ledger.Client().ListWarehousesAsync(new ListWarehousesRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
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
}
