using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using Stockcast.ServiceDefaults.Resilience;
using Stockcast.Testing;

namespace Stockcast.ServiceDefaults.Tests;

/// <summary>The one resumable-stream loop: retries with backoff on a fake clock whose waits are read, not slept.</summary>
public sealed class StreamLoopTests : IDisposable
{
    /// <summary>Polly's first decorrelated-jitter delay is at most about 1.38 times its base (100 ms for Follow).</summary>
    private static readonly TimeSpan FirstBackoffAtMost = TimeSpan.FromMilliseconds(140);

    private readonly WaitingClock _clock = new();
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly StreamMetrics _metrics;
    private readonly Streams _streams;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Channel<Attempt> _attempts = Channel.CreateUnbounded<Attempt>();

    public StreamLoopTests()
    {
        _metrics = new StreamMetrics(Metrics.WithCustomRegistry(_registry));
        _streams = new Streams(_metrics, _clock, NullLoggerFactory.Instance);
    }

    public void Dispose()
    {
        _shutdown.Cancel();
        _shutdown.Dispose();
    }

    [Fact]
    public async Task AFailingSessionIsRetriedAfterAJitteredBackoffThatGrowsToFiveSeconds()
    {
        var loop = _streams.Loop("ledger");
        var running = loop.RunAsync(Scripted(loop, [.. Enumerable.Repeat<Step>(Fail, 12)]), _shutdown.Token);

        var waits = new List<TimeSpan>();
        for (var failure = 1; failure <= 12; failure++)
        {
            var attempt = await NextAttemptAsync();
            Assert.Equal(failure, attempt.Number);
            Assert.Equal(0, attempt.WaitsPending);
            waits.Add(await _clock.NextWaitAsync());
            if (failure < 12)
            {
                _clock.Advance(waits[^1]);
            }
        }

        Assert.InRange(waits[0], TimeSpan.FromTicks(1), FirstBackoffAtMost);
        Assert.All(waits, w => Assert.InRange(w, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(5)));
        // Decorrelated jitter may draw a short wait at any attempt, but by the twelfth the cap is reached.
        Assert.Equal(TimeSpan.FromSeconds(5), waits.Max());
        Assert.Equal(12, loop.Health.Failures);
        Assert.Equal(12, _metrics.Failures.WithLabels("ledger").Value);
        Assert.False(running.IsCompleted);
    }

    [Fact]
    public async Task AStreamGoesDownAtItsFirstFailureWithTheErrorAndUpWhenItIsHeardFromAgain()
    {
        var loop = _streams.Loop("alerts");
        var changes = new List<bool>();
        loop.Health.Changed += () => changes.Add(loop.Health.IsUp);
        var outage = new TaskCompletionSource();
        Assert.Equal("not connected yet", loop.Health.DownReason);
        Assert.DoesNotContain("stream=\"alerts\"", await ExportedAsync()); // not reported down before it is followed

        _ = loop.RunAsync(Scripted(loop, async (l, _) => { l.Heard(); await outage.Task; throw new IOException("alerting went away"); }, Fail), _shutdown.Token);
        await NextAttemptAsync();
        await Eventually.TrueAsync(() => loop.Health.IsUp, "the stream is heard from");
        var heardAt = _clock.GetUtcNow();
        Assert.Equal((1d, heardAt.ToUnixTimeSeconds()), (Up("alerts"), (long)_metrics.LastHeard.WithLabels("alerts").Value));
        outage.SetResult();
        await NextAttemptAsync(); // resumed at once: it had been heard from
        var backoff = await _clock.NextWaitAsync(); // the second failure backs off

        Assert.Equal((false, "attempt 2 failed", 2), (loop.Health.IsUp, loop.Health.DownReason, loop.Health.Failures));
        Assert.Equal((0d, 2d), (Up("alerts"), _metrics.Failures.WithLabels("alerts").Value));
        Assert.Equal(heardAt, loop.Health.HeardAt);
        _clock.Advance(backoff);
        await NextAttemptAsync();
        await Eventually.TrueAsync(() => loop.Health.IsUp, "the stream is heard from again");
        Assert.Equal(("", 0, 1d), (loop.Health.DownReason, loop.Health.Failures, Up("alerts")));
        Assert.Equal([true, false, true], changes);
        Assert.Contains("stockcast_stream_up{stream=\"alerts\"} 1", await ExportedAsync());
    }

    [Fact]
    public async Task ASessionHeardFromBeforeItFailedIsResumedAtOnceAndBacksOffFromTheStartIfThatFails()
    {
        var loop = _streams.Loop("signals");
        _ = loop.RunAsync(Scripted(loop, Fail, Fail, Fail, Fail, HeardThenFail, Fail), _shutdown.Token);
        for (var failure = 1; failure <= 4; failure++)
        {
            await NextAttemptAsync();
            await _clock.SkipNextWaitAsync();
        }
        var heard = await NextAttemptAsync();

        var resumed = await NextAttemptAsync();

        Assert.Equal((6, 0, heard.At), (resumed.Number, resumed.WaitsPending, resumed.At));
        Assert.InRange(await _clock.NextWaitAsync(), TimeSpan.FromTicks(1), FirstBackoffAtMost);
    }

    [Fact]
    public async Task ASessionThatReturnsIsRunAgainAtOnceAndTheStreamStaysUp()
    {
        var loop = _streams.Loop("connector-events");
        _ = loop.RunAsync(Scripted(loop, (l, _) => { l.Heard(); return Task.CompletedTask; }), _shutdown.Token);
        var first = await NextAttemptAsync();

        var again = await NextAttemptAsync();

        Assert.Equal((2, 0, first.At), (again.Number, again.WaitsPending, again.At));
        Assert.Equal((true, 0d), (loop.Health.IsUp, _metrics.Failures.WithLabels("connector-events").Value));
    }

    [Fact]
    public async Task ARefreshRunsEveryPeriodAndOneThatFailsIsRetriedWithBackoffFirst()
    {
        var loop = _streams.Loop("rooms");
        var refreshes = 0;
        _ = loop.EveryAsync(TimeSpan.FromMinutes(1), _ => ++refreshes == 2 ? throw new TimeoutException("Redis timed out") : Task.CompletedTask, _shutdown.Token);

        // One periodic timer for the loop's life; the first refresh comes at once.
        var period = await _clock.NextWaitAsync();
        await Eventually.TrueAsync(() => Volatile.Read(ref refreshes) == 1 && loop.Health.IsUp, "the first refresh, at once");
        Assert.Equal(TimeSpan.FromMinutes(1), period);
        _clock.Advance(period);
        var backoff = await _clock.NextWaitAsync();
        Assert.InRange(backoff, TimeSpan.FromTicks(1), FirstBackoffAtMost);
        Assert.Equal("Redis timed out", loop.Health.DownReason);
        _clock.Advance(backoff);
        await Eventually.TrueAsync(() => Volatile.Read(ref refreshes) == 3 && loop.Health.IsUp, "the retry, right after the backoff");
        // The period goes on from where it was: the next refresh is two periods from the start.
        _clock.Advance(period - backoff - TimeSpan.FromTicks(1));
        Assert.Equal(3, Volatile.Read(ref refreshes));
        _clock.Advance(TimeSpan.FromTicks(1));
        await Eventually.TrueAsync(() => Volatile.Read(ref refreshes) == 4, "the next period's refresh");
        Assert.Equal(0, _clock.WaitsBegun);
    }

    [Fact]
    public async Task ShutdownEndsTheLoopPromptlyWhetherASessionIsReadingOrTheLoopIsBackingOff()
    {
        using var readingStopped = new CancellationTokenSource();
        var readingLoop = _streams.Loop("reading");
        var reading = readingLoop.RunAsync(Scripted(readingLoop), readingStopped.Token);
        await NextAttemptAsync();
        using var backingOffStopped = new CancellationTokenSource();
        var backingOffLoop = _streams.Loop("backing-off");
        var backingOff = backingOffLoop.RunAsync(Scripted(backingOffLoop, Fail), backingOffStopped.Token);
        await NextAttemptAsync();
        await _clock.NextWaitAsync(); // and the clock never moves

        readingStopped.Cancel();
        backingOffStopped.Cancel();

        await reading.WaitAsync(Eventually.DefaultDeadline);
        await backingOff.WaitAsync(Eventually.DefaultDeadline);
        Assert.Equal((0, 1), (readingLoop.Health.Failures, backingOffLoop.Health.Failures));
    }

    [Fact]
    public async Task AnOperationCanceledExceptionThatIsNotTheShutdownIsRetriedAndNeverStopsTheHost()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["Auth:ApiKeys:0:Name"] = "tests";
        builder.Configuration["Auth:ApiKeys:0:Key"] = "stream-loop-tests-key-0123456789";
        builder.Configuration["Auth:ApiKeys:0:Access"] = "Write";
        builder.Configuration["Kestrel:Endpoints:Management:Url"] = "http://127.0.0.1:9299"; // never bound: the host runs no server
        builder.AddServiceDefaults();
        builder.Services.AddSingleton<TimeProvider>(_clock);
        StreamLoop? loop = null;
        builder.Services.AddHostedService(sp => new Follower(sp.GetRequiredService<Streams>(), l =>
        {
            loop = l;
            // What HttpClient throws when its own timeout cancels a request.
            return Scripted(l, (_, _) => throw new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 10 seconds elapsing."));
        }));
        using var host = builder.Build();
        await host.StartAsync();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();

        await NextAttemptAsync();
        await _clock.SkipNextWaitAsync();
        await NextAttemptAsync();
        await Eventually.TrueAsync(() => loop!.Health.IsUp, "the stream is heard from after the timeout");

        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested);
        Assert.Equal(1d, host.Services.GetRequiredService<StreamMetrics>().Failures.WithLabels("follower").Value);
        await host.StopAsync().WaitAsync(Eventually.DefaultDeadline);
    }

    private double Up(string stream) => _metrics.Up.WithLabels(stream).Value;

    private async Task<string> ExportedAsync()
    {
        using var text = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(text);
        return System.Text.Encoding.UTF8.GetString(text.ToArray());
    }

    private static Task Fail(StreamLoop loop, int attempt) => throw new InvalidOperationException($"attempt {attempt} failed");

    private static Task HeardThenFail(StreamLoop loop, int attempt)
    {
        loop.Heard();
        throw new IOException("the stream broke");
    }

    /// <summary>
    /// A session playing one step per attempt, after recording the attempt's number, clock time and
    /// the waits begun; past its steps, it is heard from and reads until shut down.
    /// </summary>
    private Func<CancellationToken, Task> Scripted(StreamLoop loop, params Step[] steps)
    {
        var attempted = 0;
        return async cancellationToken =>
        {
            var number = ++attempted; // the attempts of one loop never overlap
            _attempts.Writer.TryWrite(new Attempt(number, _clock.GetUtcNow(), _clock.WaitsBegun));
            if (number <= steps.Length)
            {
                await steps[number - 1](loop, number);
                return;
            }
            loop.Heard();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        };
    }

    private async Task<Attempt> NextAttemptAsync()
    {
        using var deadline = new CancellationTokenSource(Eventually.DefaultDeadline);
        return await _attempts.Reader.ReadAsync(deadline.Token);
    }

    private delegate Task Step(StreamLoop loop, int attempt);

    private sealed record Attempt(int Number, DateTimeOffset At, int WaitsPending);

    private sealed class Follower(Streams streams, Func<StreamLoop, Func<CancellationToken, Task>> session) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken)
        {
            var loop = streams.Loop("follower");
            return loop.RunAsync(session(loop), stoppingToken);
        }
    }
}
