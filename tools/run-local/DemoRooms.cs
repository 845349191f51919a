using System.Text.RegularExpressions;
using Stockcast.Launch;

namespace Stockcast.RunLocal;

/// <summary>
/// The demo rooms' viewer overlay page, event stream and operator board, each with its room's token,
/// read from what sample-data prints once it has made the rooms ("overlay {room}: {path}#token=…",
/// "board {room}: {path}#token=…"); complete with the last room's board. The event stream and the host's
/// cue stream are shown as the curl commands that read them, the token in a header.
/// </summary>
internal sealed partial class DemoRooms
{
    private const string LastLine = "board demo-room-cn";
    private readonly List<string> _links = [];
    private readonly TaskCompletionSource _complete = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _overlay;

    /// <summary>Listens to <paramref name="sampleData"/>'s output from before it starts.</summary>
    public DemoRooms(ChildProcess sampleData, string overlayHttp)
    {
        _overlay = overlayHttp;
        sampleData.Line += Read;
    }

    /// <summary>Waits for the rooms until the deadline; the links found so far either way.</summary>
    public async Task<IReadOnlyList<string>> LinksAsync(TimeSpan deadline, CancellationToken cancel)
    {
        try
        {
            await _complete.Task.WaitAsync(deadline, cancel);
        }
        catch (TimeoutException)
        {
            // sample-data is slow or failed: the endpoints are printed without the rooms' pages.
        }
        lock (_links)
        {
            return [.. _links];
        }
    }

    private void Read(string line)
    {
        if (_complete.Task.IsCompleted)
        {
            return;
        }
        lock (_links)
        {
            if (OverlayLine().Match(line) is { Success: true } overlay)
            {
                var (room, page, token) = (overlay.Groups[1].Value, overlay.Groups[2].Value, overlay.Groups[3].Value);
                _links.Add($"  {room} overlay page     {_overlay}{page}#token={token}");
                _links.Add($"  {room} events (SSE)     curl -N -H 'X-Stockcast-Token: {token}' {_overlay}{page}/events");
            }
            else if (BoardLine().Match(line) is { Success: true } board)
            {
                var (room, page, token) = (board.Groups[1].Value, board.Groups[2].Value, board.Groups[3].Value);
                _links.Add($"  {room} operator board   {_overlay}{page}#token={token}");
                _links.Add($"  {room} host cues (SSE)  curl -N -H 'X-Stockcast-Token: {token}' {_overlay}{page}/cues");
            }
        }
        if (line.StartsWith(LastLine, StringComparison.Ordinal))
        {
            _complete.TrySetResult();
        }
    }

    [GeneratedRegex("^overlay ([a-z-]+): (/overlay/[a-z-]+)#token=(.*)$")]
    private static partial Regex OverlayLine();

    [GeneratedRegex("^board ([a-z-]+): (/board/[a-z-]+)#token=(.*)$")]
    private static partial Regex BoardLine();
}
