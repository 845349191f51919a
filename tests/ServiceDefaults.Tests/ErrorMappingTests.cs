using Google.Rpc;
using Grpc.Core;
using StackExchange.Redis;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Redis;

namespace Stockcast.ServiceDefaults.Tests;

/// <summary>What a gRPC or HTTP client sees for each kind of failure.</summary>
public sealed class ErrorMappingTests
{
    public static TheoryData<DomainException, StatusCode, int> EachKind => new()
    {
        { new InvalidFieldException("events[3].sku", "required"), StatusCode.InvalidArgument, 400 },
        { new NotFoundException("no room 'r1'"), StatusCode.NotFound, 404 },
        { new AlreadyExistsException("order 'o1' is already reserved"), StatusCode.AlreadyExists, 409 },
        { new PreconditionFailedException("insufficient stock", "INSUFFICIENT_STOCK"), StatusCode.FailedPrecondition, 409 },
        { new UnavailableException("this replica is stopping; watch again"), StatusCode.Unavailable, 503 },
    };

    [Theory]
    [MemberData(nameof(EachKind))]
    public void EachKindOfDomainFailureHasItsOwnCodeAndHttpStatusAndKeepsItsMessage(DomainException failure, StatusCode code, int http)
    {
        var rpc = ErrorMapping.ToRpcException(failure)!;
        var answer = ErrorMapping.ToHttp(failure)!.Value;

        Assert.Equal((code, failure.Message), (rpc.StatusCode, rpc.Status.Detail));
        Assert.Equal((http, failure.Message), (answer.Status, answer.Detail));
        var status = rpc.GetRpcStatus()!;
        Assert.Equal(((int)code, failure.Message), (status.Code, status.Message));
        Assert.Equal((failure.Reason, ErrorMapping.Domain), (status.GetDetail<ErrorInfo>().Reason, status.GetDetail<ErrorInfo>().Domain));
    }

    [Fact]
    public void AnInvalidFieldIsNamedInABadRequestViolationInTheLegacyTrailerAndInTheMessage()
    {
        var rpc = ErrorMapping.ToRpcException(new InvalidFieldException("events[3].sku", "must not contain a line break (U+000A at character 4)"))!;

        var violation = Assert.Single(rpc.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal(("events[3].sku", "must not contain a line break (U+000A at character 4)"), (violation.Field, violation.Description));
        Assert.Equal("events[3].sku", rpc.Trailers.GetValue(ErrorMapping.FieldTrailer));
        Assert.Equal("events[3].sku: must not contain a line break (U+000A at character 4)", rpc.Status.Detail);
        Assert.Equal("events[3].sku", ErrorMapping.ToHttp(new InvalidFieldException("events[3].sku", "required"))!.Value.Field);
    }

    [Fact]
    public void DetailsTravelAsErrorInfoMetadataAndAsTrailersOfTheirOwn()
    {
        var rpc = ErrorMapping.ToRpcException(new PreconditionFailedException("compacted", "COMPACTED", new Dictionary<string, string> { ["oldest-revision"] = "2001" }))!;

        var info = rpc.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal(("COMPACTED", "2001"), (info.Reason, info.Metadata["oldest-revision"]));
        Assert.Equal("2001", rpc.Trailers.GetValue("stockcast-oldest-revision"));
        Assert.Null(rpc.Trailers.GetValue(ErrorMapping.FieldTrailer));
        Assert.Null(rpc.GetRpcStatus()!.GetDetail<BadRequest>());
    }

    [Fact]
    public void OnlyUnavailableAnswersTellTheClientWhenToRetry()
    {
        var unavailable = ErrorMapping.ToRpcException(new UnavailableException("stopping"))!.GetRpcStatus()!;
        var notFound = ErrorMapping.ToRpcException(new NotFoundException("gone"))!.GetRpcStatus()!;

        Assert.Equal(ErrorMapping.RetryAfter, unavailable.GetDetail<RetryInfo>().RetryDelay.ToTimeSpan());
        Assert.Null(notFound.GetDetail<RetryInfo>());
    }

    public static TheoryData<Exception> RedisFailures => new()
    {
        new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.None, "No connection is active/available to service this operation: HGET 127.0.0.1:6379", null, CommandStatus.Unknown),
        new RedisTimeoutException(CommandFlags.None, "Timeout awaiting response (outbound=0KiB, inbound=0KiB, 5000ms elapsed)", CommandStatus.Sent),
        new RedisServerException(RedisErrorKind.Loading, CommandFlags.None, "LOADING Redis is loading the dataset in memory"),
        new RedisServerException(RedisErrorKind.ReadOnly, CommandFlags.None, "READONLY You can't write against a read only replica."),
        new RedisServerException(RedisErrorKind.Busy, CommandFlags.None, "BUSY Redis is busy running a script."),
        new RedisServerException(RedisErrorKind.OutOfMemory, CommandFlags.None, "OOM command not allowed when used memory > 'maxmemory'."),
        new RedisServerException(RedisErrorKind.Moved, CommandFlags.None, "MOVED 3999 127.0.0.1:6381"),
        new RedisServerException(RedisErrorKind.TryAgain, CommandFlags.None, "TRYAGAIN Multiple keys request during rehashing of slot"),
        new RedisServerException(RedisErrorKind.ClusterDown, CommandFlags.None, "CLUSTERDOWN The cluster is down"),
        new AggregateException(new RedisConnectionException(ConnectionFailureType.SocketClosed, CommandFlags.None, "socket closed", null, CommandStatus.Unknown)),
    };

    [Theory]
    [MemberData(nameof(RedisFailures))]
    public void ARedisFailureIsUnavailableAndRetryableNeverUnknownAndDoesNotLeakTheConnection(Exception failure)
    {
        var rpc = ErrorMapping.ToRpcException(failure)!;
        var answer = ErrorMapping.ToHttp(failure)!.Value;

        Assert.Equal(StatusCode.Unavailable, rpc.StatusCode);
        Assert.Equal(ErrorMapping.StoreUnavailable, rpc.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        Assert.NotNull(rpc.GetRpcStatus()!.GetDetail<RetryInfo>());
        Assert.Equal(503, answer.Status);
        Assert.DoesNotContain("127.0.0.1", rpc.Status.Detail + answer.Detail);
    }

    [Theory]
    [InlineData(RedisErrorKind.WrongType, "WRONGTYPE Operation against a key holding the wrong kind of value")]
    [InlineData(RedisErrorKind.UnknownError, "ERR user_script:3: Script attempted to access nonexistent global variable 'x'")]
    [InlineData(RedisErrorKind.CrossSlot, "CROSSSLOT Keys in request don't hash to the same slot")]
    public void ARedisReplyThatMeansABugIsNotDisguisedAsUnavailableYetNeverStopsALoop(RedisErrorKind kind, string reply)
    {
        var failure = new RedisServerException(kind, CommandFlags.None, reply);

        Assert.Null(ErrorMapping.ToRpcException(failure));
        Assert.Null(ErrorMapping.ToHttp(failure));
        // Background loops and leases survive it all the same (logged, retried).
        Assert.True(RedisFaults.IsRedis(failure));
    }

    [Fact]
    public void AnExceptionThatIsNotOursIsLeftToTheFrameworkAsABug()
    {
        Assert.Null(ErrorMapping.ToRpcException(new InvalidOperationException("bug")));
        Assert.Null(ErrorMapping.ToHttp(new InvalidOperationException("bug")));
    }

    [Theory]
    [InlineData(StatusCode.Unavailable, 503)]
    [InlineData(StatusCode.DeadlineExceeded, 503)]
    [InlineData(StatusCode.ResourceExhausted, 503)]
    [InlineData(StatusCode.InvalidArgument, 502)]
    [InlineData(StatusCode.PermissionDenied, 502)]
    public void OverHttpAPeerThatIsDownIs503AndAPeerThatRefusesIs502(StatusCode peer, int http)
        => Assert.Equal(http, ErrorMapping.ToHttp(new RpcException(new global::Grpc.Core.Status(peer, "from the ledger")))!.Value.Status);

    [Fact]
    public void OverGrpcAPeersStatusIsNotMappedAgain()
        => Assert.Null(ErrorMapping.ToRpcException(new RpcException(new global::Grpc.Core.Status(StatusCode.Unavailable, "from the ledger"))));
}
