using Grpc.Core;

namespace Stockcast.ServiceDefaults.Grpc;

/// <summary>Errors every service answers the same way.</summary>
public static class RpcErrors
{
    /// <summary>Trailer naming the offending request field on INVALID_ARGUMENT.</summary>
    public const string FieldTrailer = "stockcast-field";

    /// <summary>INVALID_ARGUMENT whose message starts with the field path, which the trailer also carries alone.</summary>
    public static RpcException InvalidArgument(string field, string reason)
        => new(new Status(StatusCode.InvalidArgument, $"{field}: {reason}"), new Metadata { { FieldTrailer, field } });
}
