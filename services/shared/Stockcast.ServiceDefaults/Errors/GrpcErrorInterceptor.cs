using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace Stockcast.ServiceDefaults.Errors;

/// <summary>
/// Maps domain and Redis exceptions to their gRPC status at the edge (<see cref="ErrorMapping"/>),
/// for unary and streaming calls alike. Anything else passes through unchanged.
/// </summary>
public sealed class GrpcErrorInterceptor(ILogger<GrpcErrorInterceptor> log) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception ex) when (ErrorMapping.ToRpcException(ex) is { } mapped)
        {
            throw Answer(ex, mapped, context);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context);
        }
        catch (Exception ex) when (ErrorMapping.ToRpcException(ex) is { } mapped)
        {
            throw Answer(ex, mapped, context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception ex) when (ErrorMapping.ToRpcException(ex) is { } mapped)
        {
            throw Answer(ex, mapped, context);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context);
        }
        catch (Exception ex) when (ErrorMapping.ToRpcException(ex) is { } mapped)
        {
            throw Answer(ex, mapped, context);
        }
    }

    /// <summary>
    /// A domain refusal is the client's business; a failing store is the operator's, and the status
    /// alone no longer says why, so its cause is logged here (the message: a stack adds nothing to a timeout).
    /// </summary>
    private RpcException Answer(Exception exception, RpcException mapped, ServerCallContext context)
    {
        if (exception is not DomainException)
        {
            log.LogWarning("{Method} answered {Status}: {Cause}", context.Method, mapped.StatusCode, exception.Message);
        }
        return mapped;
    }
}
