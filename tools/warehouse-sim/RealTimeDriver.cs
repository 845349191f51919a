namespace Stockcast.WarehouseSim;

/// <summary>For `make run`: advances scenario time by one second every wall-clock second.</summary>
public sealed class RealTimeDriver(Simulator simulator, ILogger<RealTimeDriver> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await simulator.AdvanceAsync(1, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            log.LogDebug("Real-time clock stopped");
        }
    }
}
