using Stockcast.Connector.Feeds;
using Stockcast.Connector.V1;

namespace Stockcast.Connector.DeadLetters;

/// <summary>
/// Reads dead letters again, each with its own reader (its format) and the feed's settings of the
/// moment (a fixed SKU map, units), as one intake. A letter is removed only once its record was
/// delivered (applied, or found already applied or unchanged) or refused for another reason (a letter
/// of its own now); one refused for the same reason stays, its attempt counted. Nothing is removed
/// before the intake was acknowledged, so a failed replay loses nothing.
/// </summary>
public sealed class DeadLetterReplay(DeadLetterStore store, RecordReaders readers, FeedIntake intake, ConnectorMetrics metrics)
{
    public async Task<ReplayDeadLettersResponse> ReplayAsync(FeedOptions feed, IReadOnlyList<(DeadLetter Letter, SourceRecord Source)> letters, CancellationToken cancellationToken)
    {
        var response = new ReplayDeadLettersResponse();
        // A letter of a format this connector no longer reads stays as it is.
        var readable = letters.Where(l => readers.Find(l.Letter.Format) is not null).ToList();
        response.StillFailing.AddRange(letters.Where(l => readers.Find(l.Letter.Format) is null).Select(l => l.Letter));
        if (readable.Count == 0)
        {
            return response;
        }
        var result = await intake.AcceptAsync(feed, [.. readable.Select(l => readers.Find(l.Letter.Format)!.Read(l.Source, feed))], cancellationToken);
        var refusedAs = result.DeadLettered.ToDictionary(r => r.Index, r => r.DeadLetterId);
        var done = new List<string>();
        var stillFailing = new List<string>();
        for (var i = 0; i < readable.Count; i++)
        {
            var id = readable[i].Letter.Id;
            if (refusedAs.TryGetValue(i, out var letterNow))
            {
                stillFailing.Add(letterNow);
            }
            else
            {
                response.Delivered++;
            }
            if (letterNow != id)
            {
                done.Add(id);
            }
        }
        await store.RemoveAsync(feed.WarehouseId, done);
        response.StillFailing.AddRange((await store.GetAsync(feed.WarehouseId, stillFailing)).Select(l => l.Letter));
        metrics.DeadLetters.WithLabels(feed.WarehouseId).Set(await store.CountAsync(feed.WarehouseId));
        return response;
    }
}
