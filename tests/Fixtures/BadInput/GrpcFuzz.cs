using CsCheck;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Rpc;
using Grpc.Core;
using Stockcast.ServiceDefaults.Errors;

namespace Stockcast.Testing.BadInput;

/// <summary>
/// Sends generated bad requests (<see cref="RequestGen"/>) to every method of a gRPC service, one at a
/// time, and holds each answer to the rules for a client's mistake: a refusal with a client status
/// (never UNKNOWN, INTERNAL or UNAVAILABLE), an INVALID_ARGUMENT that names the field (BadRequest field
/// violation and the stockcast-field trailer) — the spoiled one when one field was spoiled — and the
/// service's state, read back after each refusal, unchanged. Methods are called through a generic
/// invoker built from the service descriptor, so a method added to the service without a seed fails.
/// </summary>
public sealed class GrpcFuzz(CallInvoker invoker, ServiceDescriptor service, Func<Task<string>> readState)
{
    /// <summary>What a refused request may answer: the caller's mistake, or a state the request does not fit.</summary>
    private static readonly HashSet<StatusCode> ClientStatuses =
        [StatusCode.InvalidArgument, StatusCode.FailedPrecondition, StatusCode.NotFound, StatusCode.AlreadyExists, StatusCode.OutOfRange];

    private readonly Tally _tally = new();

    /// <summary>How long an accepted server stream is read before it counts as open and is cancelled.</summary>
    public TimeSpan StreamWindow { get; init; } = TimeSpan.FromMilliseconds(40);

    public Tally Tally => _tally;

    /// <summary>
    /// Sends <paramref name="perMethod"/> generated requests to each method, made from its valid
    /// <paramref name="seeds"/> (one or more per method name), then <paramref name="goodRequest"/> which must still succeed.
    /// </summary>
    public async Task RunAsync(IReadOnlyDictionary<string, IMessage[]> seeds, int perMethod, Func<Task> goodRequest, ulong seed = 15)
    {
        var unseeded = service.Methods.Select(m => m.Name).Except(seeds.Keys).ToList();
        if (unseeded.Count > 0)
        {
            throw new InvalidOperationException($"no valid request to start from for {string.Join(", ", unseeded)}: every method is fuzzed");
        }
        var pcg = new PCG(1, seed);
        foreach (var method in service.Methods)
        {
            var gen = Gen.OneOf([.. seeds[method.Name].Select(RequestGen.For)]);
            var state = await readState();
            for (var i = 0; i < perMethod; i++)
            {
                var request = gen.Generate(pcg, null, out _);
                var (outcome, problem) = await CallAsync(method, request);
                _tally.Count(method.Name, outcome);
                if (outcome != Tally.Accepted)
                {
                    var after = await readState();
                    if (after != state)
                    {
                        problem ??= $"refused ({outcome}) yet the state changed: {Difference(state, after)}";
                    }
                    state = after;
                }
                else
                {
                    state = await readState();
                }
                if (problem is not null)
                {
                    _tally.Violation($"{method.Name}: {problem} <- {request}");
                }
            }
            try
            {
                await goodRequest();
            }
            catch (Exception e)
            {
                _tally.Violation($"after {method.Name}'s bad requests a good request failed: {e.Message}");
            }
        }
    }

    /// <summary>Where two readings of the state part, with a little around it.</summary>
    private static string Difference(string before, string after)
    {
        var at = before.Zip(after).TakeWhile(p => p.First == p.Second).Count();
        var from = Math.Max(0, at - 80);
        return $"before …{before[from..Math.Min(before.Length, at + 120)]}… after …{after[from..Math.Min(after.Length, at + 120)]}…";
    }

    private async Task<(string Outcome, string? Problem)> CallAsync(MethodDescriptor method, FuzzedRequest request)
    {
        try
        {
            await InvokeAsync(method, request.Message);
            return (Tally.Accepted, null);
        }
        catch (RpcException e)
        {
            return (e.StatusCode.ToString(), Judge(e, request));
        }
    }

    private static string? Judge(RpcException e, FuzzedRequest request)
    {
        if (!ClientStatuses.Contains(e.StatusCode))
        {
            return $"answered {e.StatusCode} ({e.Status.Detail}) to a client's mistake";
        }
        if (e.Status.Detail.Contains("   at ", StringComparison.Ordinal) || e.Status.Detail.Contains("Exception", StringComparison.Ordinal))
        {
            return $"the answer shows internals: {e.Status.Detail}";
        }
        if (e.StatusCode != StatusCode.InvalidArgument)
        {
            return null;
        }
        var violation = e.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations.FirstOrDefault();
        var field = violation?.Field;
        if (string.IsNullOrEmpty(field) || e.Trailers.GetValue(ErrorMapping.FieldTrailer) != field)
        {
            return $"INVALID_ARGUMENT ({e.Status.Detail}) names no field in a BadRequest violation and the stockcast-field trailer";
        }
        var named = Unindexed(field);
        // Two fields that conflict ("set either warehouse_id or sku_prefix") may be named by either, the other in the description.
        return request.SpoiledField is { } spoiled && !Related(named, Unindexed(spoiled)) && !(request.SpoiledOneof is { } oneof && Related(named, Unindexed(oneof)))
            && !violation!.Description.Contains(Unindexed(spoiled).Split('.')[^1], StringComparison.Ordinal)
            ? $"names {field}, not the spoiled {spoiled}"
            : null;
    }

    /// <summary>One field path holds the other ("warehouse" and "warehouse.markets"), list positions aside (a duplicate names its second copy).</summary>
    private static bool Related(string a, string b)
        => a == b || a.StartsWith(b + ".", StringComparison.Ordinal) || b.StartsWith(a + ".", StringComparison.Ordinal);

    private static string Unindexed(string path) => System.Text.RegularExpressions.Regex.Replace(path, @"\[\d+\]", "");

    private async Task InvokeAsync(MethodDescriptor method, IMessage request)
    {
        var call = new Method<IMessage, IMessage>(
            (method.IsClientStreaming, method.IsServerStreaming) switch
            {
                (false, false) => MethodType.Unary,
                (false, true) => MethodType.ServerStreaming,
                (true, false) => MethodType.ClientStreaming,
                (true, true) => MethodType.DuplexStreaming,
            },
            service.FullName,
            method.Name,
            Marshallers.Create<IMessage>(m => m.ToByteArray(), method.InputType.Parser.ParseFrom),
            Marshallers.Create<IMessage>(m => m.ToByteArray(), method.OutputType.Parser.ParseFrom));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        switch (call.Type)
        {
            case MethodType.Unary:
                await invoker.AsyncUnaryCall(call, null, new CallOptions(deadline: deadline), request);
                break;
            case MethodType.ServerStreaming:
                using (var stream = invoker.AsyncServerStreamingCall(call, null, new CallOptions(deadline: deadline), request))
                {
                    await ReadBrieflyAsync(stream.ResponseStream);
                }
                break;
            case MethodType.ClientStreaming:
                using (var stream = invoker.AsyncClientStreamingCall(call, null, new CallOptions(deadline: deadline)))
                {
                    await ClientStreams.SendOneAsync(stream.RequestStream, request);
                    await stream.ResponseAsync;
                }
                break;
            default:
                using (var stream = invoker.AsyncDuplexStreamingCall(call, null, new CallOptions(deadline: deadline)))
                {
                    await ClientStreams.SendOneAsync(stream.RequestStream, request);
                    while (await stream.ResponseStream.MoveNext(CancellationToken.None))
                    {
                    }
                }
                break;
        }
    }

    /// <summary>A stream that sends a message, ends well, or stays open for the window has taken the request.</summary>
    private async Task ReadBrieflyAsync(IAsyncStreamReader<IMessage> responses)
    {
        using var window = new CancellationTokenSource(StreamWindow);
        try
        {
            await responses.MoveNext(window.Token);
        }
        catch (RpcException) when (window.IsCancellationRequested)
        {
            // Our own cancel (CANCELLED, or UNAVAILABLE when the in-memory server's reset wins the race).
        }
        catch (OperationCanceledException) when (window.IsCancellationRequested)
        {
        }
    }
}
