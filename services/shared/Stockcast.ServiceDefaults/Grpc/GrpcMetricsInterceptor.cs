using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Prometheus;

namespace Stockcast.ServiceDefaults.Grpc;

/// <summary>
/// gRPC server request metrics under the names go-grpc-prometheus made common, so existing
/// dashboards and alerts work: started, handled by status code, and handling time.
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

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
        => Observe(context, "unary", timed: true, () => continuation(request, context));

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
        => Observe(context, "client_stream", timed: true, () => continuation(requestStream, context));

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
        => Observe(context, "server_stream", timed: false, async () => { await continuation(request, responseStream, context); return true; });

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
        => Observe(context, "bidi_stream", timed: false, async () => { await continuation(requestStream, responseStream, context); return true; });

    private async Task<T> Observe<T>(ServerCallContext context, string type, bool timed, Func<Task<T>> call)
    {
        var (service, method) = Split(context.Method);
        _started.WithLabels(service, method, type).Inc();
        var started = Stopwatch.GetTimestamp();
        var code = StatusCode.OK;
        try
        {
            return await call();
        }
        catch (RpcException ex)
        {
            code = ex.StatusCode;
            throw;
        }
        catch (OperationCanceledException)
        {
            code = StatusCode.Cancelled;
            throw;
        }
        catch
        {
            code = StatusCode.Unknown;
            throw;
        }
        finally
        {
            _handled.WithLabels(service, method, type, code.ToString()).Inc();
            if (timed)
            {
                _handlingSeconds.WithLabels(service, method, type).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
        }
    }

    private static (string Service, string Method) Split(string fullMethod)
    {
        // "/package.Service/Method"
        var slash = fullMethod.LastIndexOf('/');
        return slash > 0 ? (fullMethod[1..slash], fullMethod[(slash + 1)..]) : (fullMethod, "");
    }
}
