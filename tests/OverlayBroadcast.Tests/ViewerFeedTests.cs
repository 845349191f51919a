using Stockcast.Overlay.Broadcast;
using Stockcast.Overlay.V1;
using Stockcast.Testing;

namespace Stockcast.Overlay.Tests;

/// <summary>One viewer's connection written from the room's loop: latest wins, in order, heartbeats only when quiet.</summary>
public sealed class ViewerFeedTests
{
    [Fact]
    public async Task ASlowViewerIsSentTheLatestUpdateNextAndNeverAnOlderOne()
    {
        var transport = new Transport();
        var held = transport.HoldNext();
        var feed = new ViewerFeed(transport, CancellationToken.None);
        feed.Offer(new RoomUpdate { Sequence = 1 });
        feed.Offer(new RoomUpdate { Sequence = 2 });
        feed.Offer(new RoomUpdate { Sequence = 3 });
        Assert.Equal([1], transport.Sent);

        held.SetResult();
        await Eventually.TrueAsync(() => Task.FromResult(transport.Sent.Count == 2), "the second write");
        // An update no newer than the one sent (a late offer of an older instance) is not sent.
        feed.Offer(new RoomUpdate { Sequence = 2 });
        Assert.Equal([1, 3], transport.Sent);
    }

    [Fact]
    public void AViewerGetsAHeartbeatOnlyOnATickAfterATickWithNothingWritten()
    {
        var transport = new Transport();
        var feed = new ViewerFeed(transport, CancellationToken.None);
        feed.Offer(new RoomUpdate { Sequence = 1 });
        feed.Tick();
        Assert.Equal(0, transport.Heartbeats);
        feed.Tick();
        Assert.Equal(1, transport.Heartbeats);
    }

    [Fact]
    public async Task ABrokenConnectionEndsTheStreamWithWhatTheTransportThrew()
    {
        var transport = new Transport { Failure = new IOException("connection reset") };
        var feed = new ViewerFeed(transport, CancellationToken.None);
        feed.Offer(new RoomUpdate { Sequence = 1 });
        var thrown = await Assert.ThrowsAsync<IOException>(() => feed.Ended);
        Assert.Equal("connection reset", thrown.Message);
        // The writer is free once it failed: the stream's end can take it for a last message.
        Assert.True(feed.IdleAsync().IsCompletedSuccessfully);
    }

    private sealed class Transport : IViewerTransport
    {
        private TaskCompletionSource? _hold;

        public List<long> Sent { get; } = [];
        public int Heartbeats { get; private set; }
        public Exception? Failure { get; init; }
        public string Name => "test";

        public TaskCompletionSource HoldNext() => _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask SendAsync(EncodedUpdate update, CancellationToken cancellationToken)
        {
            if (Failure is not null)
            {
                return ValueTask.FromException(Failure);
            }
            lock (Sent)
            {
                Sent.Add(update.Update.Sequence);
            }
            var hold = Interlocked.Exchange(ref _hold, null);
            return hold is null ? ValueTask.CompletedTask : new ValueTask(hold.Task);
        }

        public ValueTask HeartbeatAsync(CancellationToken cancellationToken)
        {
            Heartbeats++;
            return ValueTask.CompletedTask;
        }
    }
}
