using Grpc.Core;
using Polly;
using Polly.Retry;

namespace Stockcast.ServiceDefaults.Resilience;

/// <summary>
/// Every retry in Stockcast, one pipeline per kind of call, configured here and nowhere else:
/// exponential backoff with jitter (Polly's decorrelated jitter), so replicas that lost the same
/// dependency do not come back in step.
/// </summary>
public static class Backoff
{
    /// <summary>A stream or refresh a replica keeps following (ledger Watch, alerts, signals, feed events, rooms, catalogue): forever, 100 ms doubling to 5 s.</summary>
    public static ResiliencePipeline Follow(TimeProvider clock)
        => Forever(clock, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), _ => true);

    /// <summary>
    /// A batch delivered to the ledger: 5 attempts, 100 ms doubling, and only for failures that may
    /// pass (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED); safe because every event is idempotent.
    /// </summary>
    public static ResiliencePipeline Deliver(TimeProvider clock, Action<RpcException> onRetry)
        => Build(clock, new RetryStrategyOptions
        {
            MaxRetryAttempts = 4,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(2),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted }),
            OnRetry = args =>
            {
                onRetry((RpcException)args.Outcome.Exception!);
                return ValueTask.CompletedTask;
            },
        });

    /// <summary>A warehouse read that failed: forever, 1 s doubling to the feed's own poll interval.</summary>
    public static ResiliencePipeline Poll(TimeProvider clock, TimeSpan interval)
        => Forever(clock, TimeSpan.FromSeconds(1), interval < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : interval, _ => true);

    /// <summary>An alert delivered to a sink (webhook, Dapr): forever, 200 ms doubling to 60 s, unless <paramref name="retryable"/> says no.</summary>
    public static ResiliencePipeline Notify(TimeProvider clock, Func<Exception, bool> retryable)
        => Forever(clock, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(60), retryable);

    /// <summary>Start-up work that must happen before serving (registering configured warehouses): forever, 200 ms doubling to 10 s.</summary>
    public static ResiliencePipeline Startup(TimeProvider clock)
        => Forever(clock, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), _ => true);

    private static ResiliencePipeline Forever(TimeProvider clock, TimeSpan first, TimeSpan max, Func<Exception, bool> retryable)
        => Build(clock, new RetryStrategyOptions
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
        });

    private static ResiliencePipeline Build(TimeProvider clock, RetryStrategyOptions retry)
        => new ResiliencePipelineBuilder { TimeProvider = clock }.AddRetry(retry).Build();
}
