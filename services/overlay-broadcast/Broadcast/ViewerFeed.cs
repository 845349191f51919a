using Stockcast.Overlay.V1;

namespace Stockcast.Overlay.Broadcast;

/// <summary>Whatever a room's loop hands each update to: a viewer's feed, or a board's pull buffer.</summary>
public interface IRoomSubscriber
{
    void Offer(RoomUpdate update);
}

/// <summary>
/// One viewer's connection, written from whichever thread offers it something: the room's loop (an
/// update) or the shared tick (a heartbeat). One write at a time, latest update wins: an offer
/// while a write is under way only leaves the newest update for the writer to send next, so a slow
/// connection skips intermediate states and never gets them out of order. A write that completes at
/// once (the usual case: Kestrel's pipe takes the bytes) is done on the offering thread, with no
/// continuation, timer or allocation per viewer; only a connection pushing back costs a continuation.
/// </summary>
public sealed class ViewerFeed(IViewerTransport transport, CancellationToken stop) : IRoomSubscriber
{
    private const int UpdateDue = 1;
    private const int HeartbeatDue = 2;

    private readonly TaskCompletionSource<ViewerEnd> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Held by the one writer; once the feed has ended, held for good by IdleAsync.
    private readonly SemaphoreSlim _writing = new(1, 1);
    private RoomUpdate? _latest;
    private long _sent;
    private int _due;
    private int _wroteSinceTick;

    /// <summary>How the stream ended; faulted with what the transport threw when a write failed for another reason than the viewer leaving.</summary>
    public Task<ViewerEnd> Ended => _ended.Task;

    public void Offer(RoomUpdate update)
    {
        Volatile.Write(ref _latest, update);
        Signal(UpdateDue);
    }

    /// <summary>From the shared tick: a heartbeat, unless something was written since the last tick.</summary>
    public void Tick()
    {
        if (Interlocked.Exchange(ref _wroteSinceTick, 0) == 0)
        {
            Signal(HeartbeatDue);
        }
    }

    public void End(ViewerEnd end) => _ended.TrySetResult(end);

    /// <summary>After the end: waits out a write under way and keeps any other from starting, so the transport can write its last message.</summary>
    public Task IdleAsync() => _writing.WaitAsync();

    private void Signal(int due)
    {
        Interlocked.Or(ref _due, due);
        if (_writing.Wait(0))
        {
            _ = WriteAsync();
        }
    }

    private async Task WriteAsync()
    {
        try
        {
            while (true)
            {
                var due = Interlocked.Exchange(ref _due, 0);
                if (due == 0 || _ended.Task.IsCompleted)
                {
                    _writing.Release();
                    // An offer between the exchange and the release found the writer busy: take it up.
                    if (Volatile.Read(ref _due) == 0 || _ended.Task.IsCompleted || !_writing.Wait(0))
                    {
                        return;
                    }
                    continue;
                }
                if ((due & UpdateDue) != 0 && Volatile.Read(ref _latest) is { } update && update.Sequence > _sent)
                {
                    await transport.SendAsync(EncodedUpdate.Of(update), stop);
                    _sent = update.Sequence;
                    Volatile.Write(ref _wroteSinceTick, 1);
                }
                else if ((due & HeartbeatDue) != 0)
                {
                    await transport.HeartbeatAsync(stop);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The stream is ending: its cancellation ends the feed.
        }
        catch (Exception ex)
        {
            // A broken connection: the stream ends with what the transport threw, as a send in the stream's own loop would.
            _ended.TrySetException(ex);
        }
        // Ended: a later offer finds it so and writes nothing; IdleAsync gets the writer.
        _writing.Release();
    }
}
