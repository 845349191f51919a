using System.Net;
using Grpc.Core;
using StackExchange.Redis;
using Stockcast.ServiceDefaults.Resilience;

namespace Stockcast.ServiceDefaults.Tests;

/// <summary>The retry pipelines, on a fake clock whose waits are read, not slept: Polly waits on the clock it is given.</summary>
public sealed class BackoffTests
{
    private readonly WaitingClock _clock = new();

    [Theory]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.DeadlineExceeded)]
    [InlineData(StatusCode.ResourceExhausted)]
    public async Task ADeliveryThatMayPassIsRetriedAndCountedOnce(StatusCode code)
    {
        var retried = new List<StatusCode>();
        var calls = 0;

        var delivering = Backoff.Deliver(_clock, ex => retried.Add(ex.StatusCode)).ExecuteAsync(_ =>
            ++calls == 1 ? throw new RpcException(new Status(code, "the ledger is restarting")) : ValueTask.CompletedTask).AsTask();
        Assert.InRange(await _clock.SkipNextWaitAsync(), TimeSpan.FromTicks(1), TimeSpan.FromSeconds(2));
        await delivering;

        Assert.Equal(2, calls);
        Assert.Equal([code], retried);
    }

    [Theory]
    [InlineData(StatusCode.InvalidArgument)]
    [InlineData(StatusCode.FailedPrecondition)]
    [InlineData(StatusCode.PermissionDenied)]
    [InlineData(StatusCode.Unauthenticated)]
    [InlineData(StatusCode.Internal)]
    [InlineData(StatusCode.Cancelled)]
    public async Task ADeliveryTheLedgerRefusedIsNotRetried(StatusCode code)
    {
        var retried = 0;
        var calls = 0;

        var error = await Assert.ThrowsAsync<RpcException>(() => Backoff.Deliver(_clock, _ => retried++).ExecuteAsync(_ =>
        {
            calls++;
            throw new RpcException(new Status(code, "no"));
        }).AsTask());

        Assert.Equal((code, 1, 0, 0), (error.StatusCode, calls, retried, _clock.WaitsBegun));
    }

    [Fact]
    public async Task ADeliveryGivesUpAfterFiveAttemptsWithTheLastError()
    {
        var retried = 0;
        var calls = 0;
        var delivering = Backoff.Deliver(_clock, _ => retried++).ExecuteAsync(_ =>
            throw new RpcException(new Status(StatusCode.Unavailable, $"attempt {++calls}: the ledger is away"))).AsTask();

        for (var wait = 1; wait <= 4; wait++)
        {
            Assert.InRange(await _clock.SkipNextWaitAsync(), TimeSpan.FromTicks(1), TimeSpan.FromSeconds(2));
        }
        var error = await Assert.ThrowsAsync<RpcException>(() => delivering);

        Assert.Equal((5, 4, "attempt 5: the ledger is away", 0), (calls, retried, error.Status.Detail, _clock.WaitsBegun));
    }

    [Fact]
    public async Task ANotificationIsRetriedAfterTheWaitTheReceiverAskedForButNotWhenRefusedForGood()
    {
        var calls = 0;
        var notify = Backoff.Notify(_clock, ex => ex is not ArgumentException, ex => ex is TimeoutException ? TimeSpan.FromSeconds(42) : null);

        var delivering = notify.ExecuteAsync(_ => ++calls switch
        {
            1 => throw new TimeoutException("busy, retry after 42 s"),
            2 => throw new HttpRequestException("connection refused"),
            3 => throw new ArgumentException("bad request"),
            _ => ValueTask.CompletedTask,
        }).AsTask();
        var asked = await _clock.SkipNextWaitAsync();
        var backoff = await _clock.SkipNextWaitAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => delivering);
        Assert.Equal((TimeSpan.FromSeconds(42), 3, 0), (asked, calls, _clock.WaitsBegun));
        Assert.InRange(backoff, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task StartupWaitsForRedisButABadConfigurationFailsAtOnce()
    {
        var retried = new List<(string Failure, TimeSpan Wait)>();
        var startup = Backoff.Startup(_clock, (ex, wait) => retried.Add((ex.GetType().Name, wait)));
        var calls = 0;

        var starting = startup.ExecuteAsync(_ => ++calls switch
        {
            1 => throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.None, "no connection", null, CommandStatus.WaitingToBeSent),
            2 => throw new RedisTimeoutException(CommandFlags.None, "timed out", CommandStatus.Sent),
            _ => ValueTask.CompletedTask,
        }).AsTask();
        var waits = new[] { await _clock.SkipNextWaitAsync(), await _clock.SkipNextWaitAsync() };
        await starting;
        var misconfigured = await Assert.ThrowsAsync<InvalidOperationException>(() => startup.ExecuteAsync(_ => throw new InvalidOperationException("warehouse id is empty")).AsTask());

        Assert.Equal(["RedisConnectionException", "RedisTimeoutException"], retried.Select(r => r.Failure));
        // Task.Delay waits whole milliseconds.
        Assert.Equal(waits, retried.Select(r => TimeSpan.FromMilliseconds(Math.Floor(r.Wait.TotalMilliseconds))));
        Assert.Equal((3, 0), (calls, _clock.WaitsBegun));
    }

    [Fact]
    public async Task ARateLimitedCallIsAskedAgainAfterTheWaitItsAnswerAskedForAndThatAnswerIsDisposed()
    {
        var answers = new List<HttpResponseMessage>();
        var seen = new List<TimeSpan>();
        var limited = Backoff.RateLimited(_clock, r => TimeSpan.FromSeconds(int.Parse(r.ReasonPhrase!, System.Globalization.CultureInfo.InvariantCulture)), (_, wait) => seen.Add(wait));

        var calling = limited.ExecuteAsync(_ =>
        {
            var answer = answers.Count < 2
                ? new HttpResponseMessage(HttpStatusCode.TooManyRequests) { ReasonPhrase = answers.Count == 0 ? "60" : "7", Content = new StringContent("slow down") }
                : new HttpResponseMessage(HttpStatusCode.OK);
            answers.Add(answer);
            return ValueTask.FromResult(answer);
        }).AsTask();
        var waits = new[] { await _clock.SkipNextWaitAsync(), await _clock.SkipNextWaitAsync() };
        using var final = await calling;

        Assert.Equal((HttpStatusCode.OK, 3), (final.StatusCode, answers.Count));
        Assert.Equal([TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(7)], waits);
        Assert.Equal(waits, seen);
        Assert.Throws<ObjectDisposedException>(() => answers[0].Content.ReadAsStream());
    }
}
