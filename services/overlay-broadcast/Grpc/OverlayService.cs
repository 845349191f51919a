using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Prometheus;
using Stockcast.Overlay.Board;
using Stockcast.Overlay.Broadcast;
using Stockcast.Overlay.Cues;
using Stockcast.Overlay.Rooms;
using Stockcast.Overlay.V1;
using Stockcast.ServiceDefaults.Auth;
using Stockcast.ServiceDefaults.Errors;
using Stockcast.ServiceDefaults.Identifiers;
using OverlayBase = Stockcast.Overlay.V1.Overlay.OverlayBase;

namespace Stockcast.Overlay.Grpc;

[Authorize(Policy = Policies.Read)]
public sealed class OverlayService(RoomStore store, RoomCatalog catalog, ViewerTokens tokens, RoomHub hub, RoomViewers viewers, SpotlightControl spotlight, BoardStream boards, CueStream cues, IHostApplicationLifetime lifetime) : OverlayBase
{
    [Authorize(Policy = Policies.Admin)]
    public override async Task<Room> UpsertRoom(Room request, ServerCallContext context)
    {
        var room = RoomValidation.Normalised(request);
        await store.PutRoomAsync(room);
        await catalog.RefreshAsync();
        return room;
    }

    public override async Task<Room> GetRoom(GetRoomRequest request, ServerCallContext context)
    {
        Identifiers.RoomId.Check(request.RoomId, "room_id");
        return await store.GetRoomAsync(request.RoomId) ?? throw NotFound(request.RoomId);
    }

    public override async Task<ListRoomsResponse> ListRooms(ListRoomsRequest request, ServerCallContext context)
        => new() { Rooms = { (await store.RoomsAsync()).Values.OrderBy(r => r.Id, StringComparer.Ordinal) } };

    [Authorize(Policy = Policies.Admin)]
    public override async Task<DeleteRoomResponse> DeleteRoom(DeleteRoomRequest request, ServerCallContext context)
    {
        Identifiers.RoomId.Check(request.RoomId, "room_id");
        var deleted = await store.DeleteRoomAsync(request.RoomId);
        tokens.Forget(request.RoomId);
        await catalog.RefreshAsync();
        return new DeleteRoomResponse { Deleted = deleted };
    }

    [Authorize(Policy = Policies.Admin)]
    public override async Task<IssueTokenResponse> IssueToken(IssueTokenRequest request, ServerCallContext context)
    {
        await ExistingRoomAsync(request.RoomId);
        if (!System.Enum.IsDefined(request.Scope))
        {
            throw new InvalidFieldException("scope", "VIEWER or OPERATOR");
        }
        var issued = await tokens.IssueAsync(request.RoomId, request.Scope);
        // Page links carry the token in the fragment, which browsers never send (nor proxies log).
        var fragment = "#token=" + issued.Token;
        return new IssueTokenResponse
        {
            TokenId = issued.TokenId,
            Token = issued.Token,
            Scope = issued.Scope,
            OverlayPath = $"/overlay/{request.RoomId}{fragment}",
            EventsPath = $"/overlay/{request.RoomId}/events",
            BoardPath = issued.Scope == TokenScope.Operator ? $"/board/{request.RoomId}{fragment}" : "",
        };
    }

    [Authorize(Policy = Policies.Admin)]
    public override async Task<RevokeTokenResponse> RevokeToken(RevokeTokenRequest request, ServerCallContext context)
    {
        Identifiers.RoomId.Check(request.RoomId, "room_id");
        if (request.TokenId.Length == 0)
        {
            throw new InvalidFieldException("token_id", "required");
        }
        return new RevokeTokenResponse { Revoked = await tokens.RevokeAsync(request.RoomId, request.TokenId) };
    }

    [Authorize(Policy = Policies.Write)]
    public override Task<SpotlightResponse> Spotlight(SpotlightRequest request, ServerCallContext context)
        => spotlight.SetAsync(request.RoomId, request.Query);

    public override async Task WatchRoom(WatchRoomRequest request, IServerStreamWriter<RoomUpdate> responseStream, ServerCallContext context)
    {
        var channel = await ChannelAsync(request.RoomId);
        if (await viewers.StreamAsync(channel, token: null, new GrpcViewer(responseStream), context.CancellationToken) == ViewerEnd.RoomClosed)
        {
            throw Ended(request.RoomId);
        }
    }

    public override async Task WatchBoard(WatchRoomRequest request, IServerStreamWriter<BoardUpdate> responseStream, ServerCallContext context)
    {
        var channel = await ChannelAsync(request.RoomId);
        if (await boards.RunAsync(channel, token: null, (board, cancellationToken) => responseStream.WriteAsync(board, cancellationToken), context.CancellationToken) == ViewerEnd.RoomClosed)
        {
            throw Ended(request.RoomId);
        }
    }

    public override async Task WatchCues(WatchCuesRequest request, IServerStreamWriter<Cue> responseStream, ServerCallContext context)
    {
        var language = Languages.Checked(request.Language, "language");
        var channel = await ChannelAsync(request.RoomId);
        if (await cues.RunAsync(channel, token: null, language, (cue, cancellationToken) => responseStream.WriteAsync(cue, cancellationToken), quiet: null, context.CancellationToken) == ViewerEnd.RoomClosed)
        {
            throw Ended(request.RoomId);
        }
    }

    [Authorize(Policy = Policies.Write)]
    public override async Task<Room> MuteCue(MuteCueRequest request, ServerCallContext context)
    {
        Identifiers.RoomId.Check(request.RoomId, "room_id");
        if (request.Type == CueType.Unspecified || !System.Enum.IsDefined(request.Type))
        {
            throw new InvalidFieldException("type", "a cue type: LOW_STOCK, SOLD_OUT, BACK_IN_STOCK, SPOTLIGHT or PRE_SALE");
        }
        var room = await store.SetCueMutedAsync(request.RoomId, request.Type, request.Muted) ?? throw NotFound(request.RoomId);
        await catalog.RefreshAsync();
        return room;
    }

    /// <summary>The room's channel on this replica (the rooms are read again only when it has none).</summary>
    private async Task<RoomChannel> ChannelAsync(string roomId)
    {
        Identifiers.RoomId.Check(roomId, "room_id");
        return await hub.FindAsync(roomId) ?? throw NotFound(roomId);
    }

    private async Task<Room> ExistingRoomAsync(string roomId)
    {
        Identifiers.RoomId.Check(roomId, "room_id");
        return await store.GetRoomAsync(roomId) ?? throw NotFound(roomId);
    }

    /// <summary>
    /// Why a room stream ended on the server's side: the room was deleted, or this replica is stopping
    /// (UNAVAILABLE at once, rather than holding the shutdown open: the client reconnects to another).
    /// </summary>
    private DomainException Ended(string roomId)
        => lifetime.ApplicationStopping.IsCancellationRequested
            ? new UnavailableException("this replica is stopping; watch again", "SHUTTING_DOWN")
            : NotFound(roomId);

    /// <summary>A WatchRoom caller as a viewer of the shared loop: the message itself, no heartbeat of its own (HTTP/2 keeps the call alive).</summary>
    private sealed class GrpcViewer(IServerStreamWriter<RoomUpdate> stream) : IViewerTransport
    {
        public string Name => "grpc";

        public ValueTask SendAsync(EncodedUpdate update, CancellationToken cancellationToken) => new(stream.WriteAsync(update.Update, cancellationToken));

        public ValueTask HeartbeatAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private static NotFoundException NotFound(string roomId) => new($"no room '{roomId}'");
}
