using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Prometheus;

namespace Stockcast.ServiceDefaults.Grpc;

/// <summary>
/// gRPC server request metrics under the names go-grpc-prometheus made common, so existing
/// dashboards and alerts work: started, handled by status code, and handling time. Each method's
/// labelled series are looked up once and kept, so a call costs no label lookup and no allocation.
/// </summary>
public sealed class GrpcMetricsInterceptor(IMetricFactory metrics) : Interceptor
{
    private static readonly string[] MethodLabels = ["grpc_service", "grpc_method", "grpc_type"];

    private readonly Counter _started = metrics.CreateCounter(
        "grpc_server_started_total", "RPCs started on the server.", MethodLabels);

    private readonly Counter _handled = metrics.CreateCounter(
        "grpc_server_handled_total", "RPCs completed on the server, by status code.", [.. MethodLabels, "grpc_code"]);

    private readonly Histogram _handlingSeconds = metrics.CreateHistogram(
        "grpc_server_handling_seconds", "Time to complete an RPC on the server (unary and client-streaming calls).",
        new HistogramConfiguration
        {
            LabelNames = MethodLabels,
            Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14),
        });

    // Keyed by the full method name (the service's declared methods only: grpc-dotnet answers
    // unknown ones before any interceptor), and by type, which one method never changes.
    private readonly ConcurrentDictionary<string, MethodSeries> _methods = new(StringComparer.Ordinal);

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var series = Series(context, "unary");
        var started = series.Start();
        var code = StatusCode.OK;
        try
        {
            return await continuation(request, context);
        }
        catch (Exception ex)
        {
            code = CodeOf(ex);
            throw;
        }
        finally
        {
            series.Handled(code, started, timed: true);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        TResponse response = default!;
        await Observed(Series(context, "client_stream"), async () => response = await continuation(requestStream, context), timed: true);
        return response;
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
        => Observed(Series(context, "server_stream"), () => continuation(request, responseStream, context), timed: false);

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
        => Observed(Series(context, "bidi_stream"), () => continuation(requestStream, responseStream, context), timed: false);

    // Streams are long-lived: a closure per stream costs nothing worth saving (unary calls, the hot
    // path, do the same inline without one).
    private static async Task Observed(MethodSeries series, Func<Task> call, bool timed)
    {
        var started = series.Start();
        var code = StatusCode.OK;
        try
        {
            await call();
        }
        catch (Exception ex)
        {
            code = CodeOf(ex);
            throw;
        }
        finally
        {
            series.Handled(code, started, timed);
        }
    }

    private static StatusCode CodeOf(Exception exception) => exception switch
    {
        RpcException rpc => rpc.StatusCode,
        OperationCanceledException => StatusCode.Cancelled,
        _ => StatusCode.Unknown,
    };

    private MethodSeries Series(ServerCallContext context, string type)
        => _methods.TryGetValue(context.Method, out var series) ? series : _methods.GetOrAdd(context.Method, method => new MethodSeries(this, method, type));

    /// <summary>One method's series: started and handling time labelled once, handled per status code as each first occurs.</summary>
    private sealed class MethodSeries
    {
        private readonly Counter.Child _started;
        private readonly Histogram.Child _handlingSeconds;
        private readonly Counter _handled;
        private readonly string[] _labels;
        private readonly Counter.Child?[] _handledByCode = new Counter.Child?[(int)StatusCode.Unauthenticated + 1];

        public MethodSeries(GrpcMetricsInterceptor owner, string fullMethod, string type)
        {
            // "/package.Service/Method"
            var slash = fullMethod.LastIndexOf('/');
            var (service, method) = slash > 0 ? (fullMethod[1..slash], fullMethod[(slash + 1)..]) : (fullMethod, "");
            _labels = [service, method, type];
            _started = owner._started.WithLabels(_labels);
            _handlingSeconds = owner._handlingSeconds.WithLabels(_labels);
            _handled = owner._handled;
        }

        public long Start()
        {
            _started.Inc();
            return Stopwatch.GetTimestamp();
        }

        public void Handled(StatusCode code, long started, bool timed)
        {
            var index = (int)code;
            var handled = (uint)index < (uint)_handledByCode.Length
                ? _handledByCode[index] ??= _handled.WithLabels([.. _labels, code.ToString()])
                : _handled.WithLabels([.. _labels, code.ToString()]);
            handled.Inc();
            if (timed)
            {
                _handlingSeconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
        }
    }
}
