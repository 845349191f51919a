using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Stockcast.Alerting.Delivery;
using Stockcast.Alerting.Leadership;
using Stockcast.Alerting.V1;
using Stockcast.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Stockcast.Alerting.Engine;

/// <summary>The leader lost its lease while writing: another replica carries on.</summary>
public sealed class FencedException() : Exception("another replica holds the leader lease now");

/// <summary>
/// The alerts and their state machine. Per condition key: raised once while it fires (dedup), a
/// higher severity escalates, it resolves only once it recovers past the re-arm level (hysteresis,
/// decided by the rules), and after resolving it stays quiet for the cool-down. State lives in
/// Redis — every alert (id -> alert), the open key -> id map and cool-down ends — and each
/// transition is one fenced script with its notification, so a restart or failover neither loses
/// nor repeats an alert, and a deposed leader cannot write.
/// </summary>
public sealed class AlertBook(
    AlertingMetrics metrics,
    IConnectionMultiplexer redis,
    IOptions<RedisOptions> redisOptions,
    LeaderLease lease,
    NotificationLog log,
    MalformedEntries malformed,
    TimeProvider clock)
{
    // KEYS: fence, alerts, open, cool, notifications
    // ARGV: token, alert id, alert bytes, key, open action (set|del|keep), cool-down end ms or '',
    //       notification bytes or '', max notifications, only-if-new ('1' = skip when the id exists)
    private const string TransitionScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('FENCED') end
        if ARGV[9] == '1' and redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return '' end
        redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
        if ARGV[5] == 'set' then redis.call('HSET', KEYS[3], ARGV[4], ARGV[2])
        elseif ARGV[5] == 'del' then redis.call('HDEL', KEYS[3], ARGV[4]) end
        if ARGV[6] ~= '' then redis.call('HSET', KEYS[4], ARGV[4], ARGV[6]) end
        if ARGV[7] == '' then return '' end
        return redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[8], '*', 'm', ARGV[7])
        """;

    private readonly string _prefix = redisOptions.Value.KeyPrefix + "al:";
    private readonly Dictionary<string, Alert> _open = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _coolUntil = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _loadedForToken = -1;

    private IDatabase Db => redis.GetDatabase();
    private RedisKey AlertsKey => _prefix + "alerts";
    private RedisKey OpenKey => _prefix + "open";
    private RedisKey CoolKey => _prefix + "cool";
    private RedisKey AcksKey => _prefix + "acks";

    /// <summary>Open alerts (the leader's view), as of now.</summary>
    public async Task<List<Alert>> OpenAsync(LeaderTerm term, Func<Alert, bool> filter)
        => await LeadAsync(term, () => Task.FromResult(_open.Values.Where(filter).ToList()));

    /// <summary>
    /// Runs a leader operation: one at a time (the engine and the connector follower share the book),
    /// on state loaded for this term — whatever a previous leader, or this replica before a restart, left.
    /// </summary>
    private async Task<T> LeadAsync<T>(LeaderTerm term, Func<Task<T>> operation)
    {
        await _gate.WaitAsync(term.Ended);
        try
        {
            if (_loadedForToken != term.Token)
            {
                await LoadAsync();
                _loadedForToken = term.Token;
            }
            return await operation();
        }
        catch
        {
            // Whatever failed, the next operation starts from what Redis holds.
            _loadedForToken = -1;
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task LoadAsync()
    {
        _open.Clear();
        _coolUntil.Clear();
        var open = await Db.HashGetAllAsync(OpenKey);
        if (open.Length > 0)
        {
            var alerts = await Db.HashGetAsync(AlertsKey, [.. open.Select(e => e.Value)]);
            for (var i = 0; i < open.Length; i++)
            {
                // A stored alert that does not parse is skipped (counted, logged): the condition opens a new one.
                if (alerts[i].HasValue && malformed.Parse("alerts", (string)open[i].Value!, alerts[i], Alert.Parser) is { } alert)
                {
                    _open[(string)open[i].Name!] = alert;
                }
            }
        }
        foreach (var entry in await Db.HashGetAllAsync(CoolKey))
        {
            if (malformed.Number("alert-cool-downs", entry.Name!, entry.Value) is { } untilMs)
            {
                _coolUntil[(string)entry.Name!] = DateTimeOffset.FromUnixTimeMilliseconds(untilMs);
            }
        }
        metrics.Firing.Set(_open.Count);
    }

    /// <summary>Moves one condition's alert on; returns the notification sent, if any.</summary>
    /// <param name="changedAt">When the stock change behind this evaluation arrived (Stopwatch), for the change-to-alert metric.</param>
    public Task<AlertNotification?> ApplyAsync(Condition condition, LeaderTerm term, TimeSpan coolDown, long? changedAt = null)
        => LeadAsync(term, () => ApplyCoreAsync(condition, term, coolDown, changedAt));

    private async Task<AlertNotification?> ApplyCoreAsync(Condition condition, LeaderTerm term, TimeSpan coolDown, long? changedAt)
    {
        var now = clock.GetUtcNow();
        _open.TryGetValue(condition.Key, out var alert);
        switch (condition.Standing)
        {
            case Standing.Firing when alert is null:
                if (_coolUntil.TryGetValue(condition.Key, out var quietUntil) && now < quietUntil)
                {
                    return null;
                }
                alert = NewAlert(condition, Guid.CreateVersion7().ToString("N"), now);
                var raised = await WriteAsync(term, alert, condition.Key, "set", null, NotificationType.Raised);
                _open[condition.Key] = alert;
                metrics.Firing.Set(_open.Count);
                Observe(changedAt);
                return raised;
            case Standing.Firing when condition.Severity > alert!.Severity:
                var higher = Refreshed(alert, condition, now);
                var escalated = await WriteAsync(term, higher, condition.Key, "keep", null, NotificationType.Escalated);
                _open[condition.Key] = higher;
                Observe(changedAt);
                return escalated;
            case Standing.Firing or Standing.Hold when alert is not null && (alert.Message != condition.Message || alert.Severity != condition.Severity):
                // Still open, new numbers (or a lower severity): kept current for ListAlerts, not announced again.
                var current = Refreshed(alert, condition, now);
                await WriteAsync(term, current, condition.Key, "keep", null, null);
                _open[condition.Key] = current;
                return null;
            case Standing.Clear when alert is not null:
                // The resolution shows the recovered figures at the alert's severity, so every sink
                // that was told of the alert is told it is over.
                var recovered = Refreshed(alert, condition, now);
                recovered.Severity = alert.Severity;
                return await ResolveCoreAsync(term, condition.Key, recovered, coolDown, "recovered");
            default:
                return null;
        }
    }

    /// <summary>Resolves an open alert whose condition no longer applies (its stream ended, its rule was removed).</summary>
    public Task<AlertNotification?> ResolveAsync(LeaderTerm term, string key, TimeSpan coolDown, string why)
        => LeadAsync(term, () => _open.TryGetValue(key, out var alert) ? ResolveCoreAsync(term, key, alert, coolDown, why) : Task.FromResult<AlertNotification?>(null));

    private async Task<AlertNotification?> ResolveCoreAsync(LeaderTerm term, string key, Alert alert, TimeSpan coolDown, string why)
    {
        var now = clock.GetUtcNow();
        alert = alert.Clone();
        alert.State = AlertState.Resolved;
        alert.ResolvedAt = Timestamp.FromDateTimeOffset(now);
        alert.UpdatedAt = alert.ResolvedAt;
        alert.Resolution = why;
        var until = now + coolDown;
        var resolved = await WriteAsync(term, alert, key, "del", until, NotificationType.Resolved);
        _open.Remove(key);
        _coolUntil[key] = until;
        metrics.Firing.Set(_open.Count);
        return resolved;
    }

    /// <summary>Raises an alert for a one-off event (a feed anomaly): once per event id, even across failovers.</summary>
    public Task<AlertNotification?> RaiseOnceAsync(Condition condition, string alertId, LeaderTerm term)
        => LeadAsync(term, () => WriteAsync(term, NewAlert(condition, alertId, clock.GetUtcNow()), condition.Key, "keep", null, NotificationType.Raised, onlyIfNew: true));

    /// <summary>Any replica: records who acknowledged an alert (first acknowledgement stands) and announces it.</summary>
    public async Task<Alert?> AcknowledgeAsync(string alertId, string who)
    {
        var stored = await Db.HashGetAsync(AlertsKey, alertId);
        if (!stored.HasValue)
        {
            return null;
        }
        var now = clock.GetUtcNow();
        if (await Db.HashSetAsync(AcksKey, alertId, JsonSerializer.Serialize(new Ack(who, now.ToUnixTimeMilliseconds())), When.NotExists))
        {
            var alert = WithAck(Alert.Parser.ParseFrom((byte[])stored!), who, now);
            await log.Stream.AppendAsync(new AlertNotification { Type = NotificationType.Acknowledged, Alert = alert });
            Count(NotificationType.Acknowledged, alert);
        }
        return (await ListAsync(a => a.Id == alertId)).SingleOrDefault();
    }

    /// <summary>Every alert kept, with acknowledgements merged in.</summary>
    public async Task<List<Alert>> ListAsync(Func<Alert, bool> filter)
    {
        var acks = (await Db.HashGetAllAsync(AcksKey)).ToDictionary(e => (string)e.Name!, e => JsonSerializer.Deserialize<Ack>((string)e.Value!)!);
        var alerts = new List<Alert>();
        foreach (var stored in malformed.Readable("alerts", await Db.HashGetAllAsync(AlertsKey), Alert.Parser).Values)
        {
            var alert = acks.TryGetValue(stored.Id, out var ack) ? WithAck(stored, ack.Who, DateTimeOffset.FromUnixTimeMilliseconds(ack.AtMs)) : stored;
            if (filter(alert))
            {
                alerts.Add(alert);
            }
        }
        return alerts;
    }

    /// <summary>Forgets resolved alerts older than <paramref name="age"/> (the notification log keeps their history).</summary>
    public async Task TrimAsync(TimeSpan age)
    {
        var before = clock.GetUtcNow() - age;
        var old = (await ListAsync(a => a.State == AlertState.Resolved && a.ResolvedAt is { } r && r.ToDateTimeOffset() < before)).Select(a => (RedisValue)a.Id).ToArray();
        if (old.Length > 0)
        {
            await Db.HashDeleteAsync(AlertsKey, old);
            await Db.HashDeleteAsync(AcksKey, old);
        }
    }

    private async Task<AlertNotification?> WriteAsync(LeaderTerm term, Alert alert, string key, string openAction, DateTimeOffset? coolUntil, NotificationType? type, bool onlyIfNew = false)
    {
        var notification = type is { } t ? new AlertNotification { Type = t, Alert = alert.Clone() } : null;
        RedisResult result;
        try
        {
            result = await Db.ScriptEvaluateAsync(TransitionScript,
                [lease.FenceKey, AlertsKey, OpenKey, CoolKey, log.Stream.Key],
                [term.Token, alert.Id, alert.ToByteArray(), key, openAction, coolUntil?.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
                 notification?.ToByteArray() ?? [], log.Stream.Retention, onlyIfNew ? "1" : "0"]);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("FENCED", StringComparison.Ordinal))
        {
            throw new FencedException();
        }
        var id = (string?)result ?? "";
        if (notification is null || id.Length == 0)
        {
            return null;
        }
        notification.Id = id;
        await log.Stream.NotifyAsync(id);
        Count(notification.Type, alert);
        return notification;
    }

    private static Alert NewAlert(Condition c, string id, DateTimeOffset now)
        => Refreshed(new Alert { Id = id, Key = c.Key, Kind = c.Kind, State = AlertState.Firing, RaisedAt = Timestamp.FromDateTimeOffset(now) }, c, now);

    /// <summary>A copy with the condition's current figures: the book's copy changes only once Redis has the new one.</summary>
    private static Alert Refreshed(Alert original, Condition c, DateTimeOffset now)
    {
        var alert = original.Clone();
        alert.Severity = c.Severity;
        alert.Sku = c.Sku;
        alert.WarehouseId = c.WarehouseId;
        alert.Market = c.Market;
        alert.RoomId = c.RoomId;
        alert.Message = c.Message;
        alert.SuggestedAction = c.Action;
        alert.Figures.Clear();
        foreach (var (name, value) in c.Figures)
        {
            alert.Figures[name] = value;
        }
        alert.Transfer = c.Transfer;
        alert.UpdatedAt = Timestamp.FromDateTimeOffset(now);
        return alert;
    }

    /// <summary>An acknowledged one-off alert (an event, nothing to recover from) counts as resolved.</summary>
    private static Alert WithAck(Alert alert, string who, DateTimeOffset at)
    {
        alert = alert.Clone();
        alert.AcknowledgedBy = who;
        alert.AcknowledgedAt = Timestamp.FromDateTimeOffset(at);
        if (alert.Key.StartsWith("event:", StringComparison.Ordinal) && alert.State == AlertState.Firing)
        {
            alert.State = AlertState.Resolved;
            alert.ResolvedAt = alert.AcknowledgedAt;
            alert.Resolution = "acknowledged";
        }
        return alert;
    }

    private void Count(NotificationType type, Alert alert)
        => metrics.Alerts.WithLabels(type.ToString(), alert.Kind.ToString(), alert.Severity.ToString()).Inc();

    private void Observe(long? changedAt)
    {
        if (changedAt is { } at)
        {
            metrics.StockChangeToAlertSeconds.Observe(Stopwatch.GetElapsedTime(at).TotalSeconds);
        }
    }

    private sealed record Ack(string Who, long AtMs);
}
