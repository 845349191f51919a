using System.Net;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Stockcast.Launch;

namespace Stockcast.Testing;

/// <summary>Who may call an endpoint: what a service's table in its matrix test decides for each RPC and HTTP endpoint.</summary>
public enum Callers
{
    /// <summary>On the allow-list: anyone, whatever they send (health, metrics on the main port).</summary>
    Anyone,

    /// <summary>
    /// On the allow-list, with a credential of its own that the endpoint checks itself (a viewer or
    /// operator token, a vendor's webhook signature): an API key neither opens nor closes it.
    /// </summary>
    OwnCredential,

    /// <summary>Any API key (reader, writer, admin).</summary>
    Reader,

    /// <summary>A writer or admin key.</summary>
    Writer,

    /// <summary>An admin key only.</summary>
    Admin,

    /// <summary>The Dapr sidecar only (its app API token): no API key opens it.</summary>
    DaprSidecar,
}

/// <summary>
/// The authorization matrix of a real host: every RPC of every gRPC service it maps (from the
/// endpoint table's gRPC method metadata) and every HTTP endpoint (EndpointDataSource), each called
/// with no credential, a wrong key and each role's key, compared with the service's table. A method
/// or endpoint missing from the table is a problem too: a new one needs a decided policy.
/// </summary>
public static class AuthorizationMatrix
{
    private const string WrongKey = "not-a-key-of-this-service-0123456789";
    // Long enough for the slowest machine: only a call that neither answers nor passes authorization waits it out.
    private static readonly TimeSpan NoAnswerAfter = TimeSpan.FromSeconds(60);
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    /// <summary>The credentials tried, by name; null = none.</summary>
    public static IReadOnlyList<(string Name, string? Key)> Credentials(RoleKeys keys) =>
    [
        ("no credential", null),
        ("a wrong key", WrongKey),
        ("the reader key", keys.Reader),
        ("the writer key", keys.Writer),
        ("the admin key", keys.Admin),
    ];

    /// <summary>
    /// Every disagreement between the host and <paramref name="table"/> (keys "/package.Service/Method"
    /// for RPCs, "GET /path/{param}" for HTTP endpoints, "* /path" for any method), one line each.
    /// </summary>
    /// <param name="grpc">A channel to the host's gRPC endpoint sending the given key (none when null).</param>
    /// <param name="http">A client of the host's HTTP endpoint.</param>
    public static async Task<IReadOnlyList<string>> ProblemsAsync(IServiceProvider services, RoleKeys keys, Func<string?, GrpcChannel> grpc, HttpClient http, IReadOnlyDictionary<string, Callers> table)
    {
        var endpoints = Endpoints(services);
        var probes = services.GetRequiredService<AuthorizationProbes>();
        var problems = endpoints.Keys.Where(k => !table.ContainsKey(k)).Select(k => $"{k}: not in the table (decide who may call it)").ToList();
        problems.AddRange(table.Keys.Where(k => !endpoints.ContainsKey(k)).Select(k => $"{k}: in the table but not mapped"));
        foreach (var (name, endpoint) in endpoints.Where(e => table.ContainsKey(e.Key)))
        {
            var expected = table[name];
            var open = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            if (open != expected is Callers.Anyone or Callers.OwnCredential)
            {
                problems.Add($"{name}: {(open ? "allows anonymous callers" : "requires authorization")} but the table says {expected}");
            }
        }
        var answers = await Task.WhenAll(endpoints.Where(e => table.ContainsKey(e.Key)).SelectMany(e => Credentials(keys).Select(async c =>
            (Endpoint: e.Key, Credential: c.Name, Answer: await AnswerAsync(e.Value, c.Key, grpc, http, probes)))));
        foreach (var byEndpoint in answers.GroupBy(a => a.Endpoint))
        {
            var expected = table[byEndpoint.Key];
            var anonymous = byEndpoint.Single(a => a.Credential == "no credential").Answer;
            foreach (var (endpoint, credential, answer) in byEndpoint)
            {
                var wanted = Expected(expected, credential, anonymous);
                // An endpoint with its own check may take a presented key as its credential and refuse it as
                // wrong (403) where it said 401 to none: still nothing opened.
                var refusedAsItsOwn = expected == Callers.OwnCredential && anonymous == Answer.Unauthenticated && answer == Answer.Forbidden;
                if (wanted != answer && !refusedAsItsOwn)
                {
                    problems.Add($"{endpoint} with {credential}: {answer}, expected {wanted} ({expected})");
                }
            }
        }
        return problems;
    }

    /// <summary>What an endpoint answered, as far as authorization goes.</summary>
    private enum Answer
    {
        /// <summary>401 / Unauthenticated.</summary>
        Unauthenticated,

        /// <summary>403 / PermissionDenied.</summary>
        Forbidden,

        /// <summary>Anything else: the call got past authorization (its answer is the handler's).</summary>
        PastAuthorization,

        /// <summary>Neither an answer nor past authorization within <see cref="NoAnswerAfter"/>.</summary>
        Silent,
    }

    private static Answer Expected(Callers callers, string credential, Answer anonymous) => (callers, credential) switch
    {
        (Callers.Anyone, _) => Answer.PastAuthorization,
        // Whatever the endpoint's own check says without a key, it says with any key.
        (Callers.OwnCredential, _) => anonymous,
        (Callers.DaprSidecar, _) => Answer.Unauthenticated,
        (_, "no credential" or "a wrong key") => Answer.Unauthenticated,
        (Callers.Writer, "the reader key") or (Callers.Admin, "the reader key" or "the writer key") => Answer.Forbidden,
        _ => Answer.PastAuthorization,
    };

    private static Dictionary<string, RouteEndpoint> Endpoints(IServiceProvider services)
    {
        var endpoints = new Dictionary<string, RouteEndpoint>();
        foreach (var endpoint in services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<GrpcMethodMetadata>() is { } grpc)
            {
                endpoints[$"/{grpc.Method.FullName.TrimStart('/')}"] = endpoint;
            }
            else if (endpoint.DisplayName?.StartsWith("gRPC - Unimplemented", StringComparison.Ordinal) != true)
            {
                var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
                foreach (var method in methods is { Count: > 0 } ? methods : ["*"])
                {
                    endpoints[$"{method} /{endpoint.RoutePattern.RawText!.TrimStart('/')}"] = endpoint;
                }
            }
        }
        return endpoints;
    }

    /// <summary>
    /// The call's answer, or <see cref="Answer.PastAuthorization"/> as soon as the host's authorization
    /// has let it through (a stream that stays open has nothing else to answer). A call that neither
    /// answers nor passes within <see cref="NoAnswerAfter"/> is <see cref="Answer.Silent"/>.
    /// </summary>
    private static async Task<Answer> AnswerAsync(RouteEndpoint endpoint, string? key, Func<string?, GrpcChannel> grpc, HttpClient http, AuthorizationProbes probes)
    {
        var probe = Guid.NewGuid().ToString("N");
        using var stop = new CancellationTokenSource();
        var answer = endpoint.Metadata.GetMetadata<GrpcMethodMetadata>() is { } rpc
            ? RpcAnswerAsync(rpc.Method, grpc(key), probe, stop.Token)
            : HttpAnswerAsync(endpoint, key, http, probe, stop.Token);
        // An endpoint on the allow-list is not authorized at all: its own answer is awaited.
        var passed = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null ? probes.Passed(probe) : Task.Delay(Timeout.Infinite, stop.Token);
        var first = await Task.WhenAny(answer, passed, Task.Delay(NoAnswerAfter, stop.Token));
        await stop.CancelAsync();
        var answered = await answer;
        return first == answer ? answered : first == passed ? Answer.PastAuthorization : Answer.Silent;
    }

    /// <summary>
    /// One empty request message on a duplex call, whatever the method's kind: on the wire a unary or
    /// streaming call is the same HTTP/2 request, and authorization answers before the handler reads it.
    /// </summary>
    private static async Task<Answer> RpcAnswerAsync(IMethod method, GrpcChannel channel, string probe, CancellationToken stop)
    {
        var raw = new Method<byte[], byte[]>(MethodType.DuplexStreaming, method.ServiceName, method.Name, Bytes, Bytes);
        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(raw, null, new CallOptions(new Metadata { { AuthorizationProbes.Header, probe } }, cancellationToken: stop));
        try
        {
            await ClientStreams.SendOneAsync(call.RequestStream, []);
            await call.ResponseStream.MoveNext(stop);
            return Answer.PastAuthorization;
        }
        catch (Exception e) when (stop.IsCancellationRequested && e is RpcException or OperationCanceledException)
        {
            // Stopped by AnswerAsync, which has its answer already.
            return Answer.PastAuthorization;
        }
        catch (RpcException e)
        {
            return e.StatusCode switch
            {
                StatusCode.Unauthenticated => Answer.Unauthenticated,
                StatusCode.PermissionDenied => Answer.Forbidden,
                _ => Answer.PastAuthorization,
            };
        }
    }

    private static async Task<Answer> HttpAnswerAsync(RouteEndpoint endpoint, string? key, HttpClient http, string probe, CancellationToken stop)
    {
        var method = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.FirstOrDefault() ?? "GET";
        // Every route parameter gets a plain value: authorization comes before the handler looks at it.
        var path = string.Concat(endpoint.RoutePattern.PathSegments.Select(s => "/" + string.Concat(s.Parts.Select(p => p switch
        {
            Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
            _ => "matrix-probe",
        }))));
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Add(AuthorizationProbes.Header, probe);
        if (method != "GET")
        {
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        }
        if (key is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
            return response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => Answer.Unauthenticated,
                HttpStatusCode.Forbidden => Answer.Forbidden,
                _ => Answer.PastAuthorization,
            };
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return Answer.PastAuthorization;
        }
    }
}
