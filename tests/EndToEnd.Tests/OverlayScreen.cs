using System.Text.Json;
using Stockcast.Testing;

namespace Stockcast.EndToEnd.Tests;

/// <summary>What the overlay page showed from <see cref="At"/> on: "updating…" or live figures, how many tiles, their labels.</summary>
public sealed record ScreenState(DateTimeOffset At, bool Updating, int Tiles, string Labels)
{
    public bool Blank => Tiles == 0;
}

/// <summary>
/// A room's overlay page in Chromium, as OBS shows it, with every change of what it shows recorded by
/// the page itself (a MutationObserver stamps each one with the browser's clock), so how long
/// "updating…" stayed up, or whether the tiles ever went, is read from observed changes, not sampled.
/// </summary>
public sealed class OverlayScreen(BrowserPage page) : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public BrowserPage Page => page;

    /// <summary>Opens the page, waits for its first figures and starts recording.</summary>
    public static async Task<OverlayScreen> OpenAsync(BrowserPage page, Uri overlay)
    {
        // Counts the event streams the page gets open ("open" fires again on EventSource's own
        // reconnects): one for good, unless its stream ended and it reconnected.
        await page.Page.AddInitScriptAsync("""
            window.streamsOpened = 0;
            const Native = window.EventSource;
            window.EventSource = class extends Native {
              constructor(...args) { super(...args); this.addEventListener('open', () => window.streamsOpened++); }
            };
            """);
        await page.GoToAsync(overlay);
        await page.IsVisibleAsync("#tiles .tile:first-child", TimeSpan.FromSeconds(60));
        await page.Page.EvaluateAsync("""
            () => {
              const now = () => ({
                t: Date.now(),
                updating: document.body.classList.contains('stale'),
                tiles: document.querySelectorAll('#tiles .tile').length,
                labels: [...document.querySelectorAll('#tiles .tile')].map(t => t.dataset.sku + '=' + t.querySelector('.label').textContent).join(', '),
              });
              window.seen = [now()];
              const record = () => {
                const state = now(), last = window.seen.at(-1);
                if (state.updating !== last.updating || state.tiles !== last.tiles || state.labels !== last.labels) window.seen.push(state);
              };
              new MutationObserver(record).observe(document.body, { attributes: true, attributeFilter: ['class'], childList: true, subtree: true, characterData: true });
            }
            """);
        return new OverlayScreen(page);
    }

    /// <summary>Everything recorded since the last take (the state then first), keeping only the latest for the next.</summary>
    public async Task<IReadOnlyList<ScreenState>> TakeAsync()
    {
        var json = await page.Page.EvaluateAsync<string>("() => { const all = window.seen; window.seen = [all.at(-1)]; return JSON.stringify(all); }");
        return [.. JsonSerializer.Deserialize<List<Recorded>>(json, Json)!.Select(r => new ScreenState(DateTimeOffset.FromUnixTimeMilliseconds(r.T), r.Updating, r.Tiles, r.Labels))];
    }

    /// <summary>The label a SKU's tile shows now.</summary>
    public Task<string> LabelAsync(string sku) => page[Tile(sku) + " .label"].TextContentAsync()!;

    public static string Tile(string sku) => ".tile" + BrowserPage.AttributeIs("data-sku", sku);

    /// <summary>How many times the page's event stream has opened so far (the first, then once per reconnect).</summary>
    public async Task<int> StreamsOpenedAsync() => await page.Page.EvaluateAsync<int>("() => window.streamsOpened");

    public async Task<bool> UpdatingAsync() => await page.Page.EvaluateAsync<bool>("() => document.body.classList.contains('stale')");

    public ValueTask DisposeAsync() => page.DisposeAsync();

    private sealed record Recorded(long T, bool Updating, int Tiles, string Labels);
}
