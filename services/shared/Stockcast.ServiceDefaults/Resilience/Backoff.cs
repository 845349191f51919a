using System.Net;
using Grpc.Core;
using Polly;
using Polly.Retry;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Redis;

namespace Stockcast.ServiceDefaults.Resilience;

/// <summary>
/// Every retry in Stockcast, one pipeline per kind of call, configured here and nowhere else:
/// exponential backoff with jitter (Polly's decorrelated jitter), so replicas that lost the same
/// dependency do not come back in step. Waits run on the given clock, so a test's fake clock
/// drives them.
/// </summary>
public static class Backoff
{
    /// <summary>A stream or refresh a replica keeps following (ledger Watch, alerts, signals, feed events, rooms, catalogue): forever, 100 ms doubling to 5 s.</summary>
    public static ResiliencePipeline Follow(TimeProvider clock)
        => Forever(clock, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), _ => true);

    /// <summary>
    /// A batch delivered to the ledger: 5 attempts, 100 ms doubling, and only for failures that may
    /// pass (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED); safe because every event is idempotent.
    /// <paramref name="onRetry"/> sees each failure that is retried.
    /// </summary>
    public static ResiliencePipeline Deliver(TimeProvider clock, Action<RpcException> onRetry)
        => Build(clock, new RetryStrategyOptions
        {
            MaxRetryAttempts = 4,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(2),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is RpcException { StatusCode: var code } && MayPass(code)),
            OnRetry = args =>
            {
                onRetry((RpcException)args.Outcome.Exception!);
                return ValueTask.CompletedTask;
            },
        });

    /// <summary>A warehouse read that failed: forever, 1 s doubling to the feed's own poll interval.</summary>
    public static ResiliencePipeline Poll(TimeProvider clock, TimeSpan interval)
        => Forever(clock, TimeSpan.FromSeconds(1), interval < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : interval, _ => true);

    /// <summary>
    /// An alert delivered to a sink (webhook, Dapr): forever, 200 ms doubling to 60 s, unless
    /// <paramref name="retryable"/> says no. When the receiver said how long to wait
    /// (<paramref name="askedToWait"/>, from its Retry-After), that is the wait instead.
    /// </summary>
    public static ResiliencePipeline Notify(TimeProvider clock, Func<Exception, bool> retryable, Func<Exception, TimeSpan?> askedToWait)
    {
        var retry = ForeverOptions(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(60), retryable);
        retry.DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is { } ex ? askedToWait(ex) : null);
        return Build(clock, retry);
    }

    /// <summary>
    /// Start-up work that must happen before serving (registering configured warehouses): forever,
    /// 200 ms doubling to 10 s, for failures that may pass (Redis away, a timeout); anything else,
    /// a bad configuration say, fails the start. <paramref name="onRetry"/> sees each failure and the wait after it.
    /// </summary>
    public static ResiliencePipeline Startup(TimeProvider clock, Action<Exception, TimeSpan> onRetry)
    {
        var retry = ForeverOptions(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), MayPass);
        retry.OnRetry = args =>
        {
            onRetry(args.Outcome.Exception!, args.RetryDelay);
            return ValueTask.CompletedTask;
        };
        return Build(clock, retry);
    }

    /// <summary>
    /// A warehouse API call answered 429 Too Many Requests: asked again, without limit, after the wait
    /// the answer asks for (<paramref name="askedToWait"/>, from its retry-after header); the
    /// answer is then disposed. <paramref name="onWait"/> sees each 429 and the wait.
    /// </summary>
    public static ResiliencePipeline<HttpResponseMessage> RateLimited(TimeProvider clock, Func<HttpResponseMessage, TimeSpan> askedToWait, Action<HttpResponseMessage, TimeSpan> onWait)
        => new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = clock }.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            MaxRetryAttempts = int.MaxValue,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests),
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(askedToWait(args.Outcome.Result!)),
            OnRetry = args =>
            {
                onWait(args.Outcome.Result!, args.RetryDelay);
                return ValueTask.CompletedTask;
            },
        }).Build();

    /// <summary>Failures of a dependency that may pass by themselves: Redis away, a timeout, an UNAVAILABLE answer.</summary>
    private static bool MayPass(Exception ex)
        => RedisFaults.IsTransient(ex) || ex is TimeoutException or UnavailableException || ex is RpcException { StatusCode: var code } && MayPass(code);

    private static bool MayPass(StatusCode code) => code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted;

    private static ResiliencePipeline Forever(TimeProvider clock, TimeSpan first, TimeSpan max, Func<Exception, bool> retryable)
        => Build(clock, ForeverOptions(first, max, retryable));

    private static RetryStrategyOptions ForeverOptions(TimeSpan first, TimeSpan max, Func<Exception, bool> retryable) => new()
    {
        MaxRetryAttempts = int.MaxValue,
        Delay = first,
        MaxDelay = max,
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        // Anything short of our own shutdown is retried, cancellations of a single call included
        // (an HTTP timeout is a TaskCanceledException): a follower must never end by accident.
        ShouldHandle = args => ValueTask.FromResult(
            args.Outcome.Exception is { } ex && !args.Context.CancellationToken.IsCancellationRequested && retryable(ex)),
    };

    private static ResiliencePipeline Build(TimeProvider clock, RetryStrategyOptions retry)
        => new ResiliencePipelineBuilder { TimeProvider = clock }.AddRetry(retry).Build();
}
