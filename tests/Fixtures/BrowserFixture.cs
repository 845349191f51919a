using System.Runtime.CompilerServices;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;

namespace Stockcast.Testing;

/// <summary>
/// One headless Debian Chromium per test class (starting one takes most of a second), driven by
/// Playwright's own driver from the NuGet package; nothing is downloaded. Each test gets a fresh
/// page in its own browser context, so no cookies, cache or EventSource leak between tests.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Debian's chromium (make deps installs it); never a browser Playwright downloads.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("the browser is not started");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: `make deps` installs Debian's chromium");
        }
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Root in a container has no user namespaces for the sandbox; no GPU here; no calls home.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
    }

    /// <summary>A fresh page for one test; screenshots are named after <paramref name="test"/>.</summary>
    public async Task<BrowserPage> OpenPageAsync(ITestOutputHelper output, [CallerMemberName] string test = "")
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = 900, Height = 600 } });
        return new BrowserPage(context, await context.NewPageAsync(), test, output);
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }
        _playwright?.Dispose();
    }
}

/// <summary>
/// A page in the shared browser with waits that have deadlines (Playwright's auto-retrying
/// assertions) and screenshots saved under the test output: <c>&lt;test bin&gt;/screenshots/&lt;Test&gt;.png</c>.
/// A failed wait saves <c>&lt;Test&gt;-failed.png</c> first, so the page's state at the failure can be seen.
/// </summary>
public sealed class BrowserPage : IAsyncDisposable
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(15);
    private readonly IBrowserContext _context;
    private readonly IPage _page;
    private readonly string _test;
    private readonly ITestOutputHelper _output;
    private readonly List<string> _scriptErrors = [];

    public BrowserPage(IBrowserContext context, IPage page, string test, ITestOutputHelper output)
    {
        _context = context;
        _page = page;
        _test = test;
        _output = output;
        // An exception in the page's own script would otherwise only show as a wait timing out.
        page.PageError += (_, error) =>
        {
            lock (_scriptErrors)
            {
                _scriptErrors.Add(error);
            }
            output.WriteLine($"page script error: {error}");
        };
    }

    /// <summary>Uncaught exceptions thrown by the page's scripts so far.</summary>
    public IReadOnlyList<string> ScriptErrors
    {
        get
        {
            lock (_scriptErrors)
            {
                return [.. _scriptErrors];
            }
        }
    }

    public static string ScreenshotFolder => Path.Combine(AppContext.BaseDirectory, "screenshots");

    /// <summary>A CSS attribute selector for any value, quotes and backslashes in it too ([data-sku="Кофта \"синяя\""]).</summary>
    public static string AttributeIs(string name, string value)
        => $"[{name}=\"{value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"]";

    public IPage Page => _page;

    public ILocator this[string selector] => _page.Locator(selector);

    public Task<IResponse?> GoToAsync(Uri address) => _page.GotoAsync(address.ToString());

    /// <summary>Waits until <paramref name="selector"/> shows exactly <paramref name="text"/>.</summary>
    public Task ShowsTextAsync(string selector, string text, TimeSpan? deadline = null)
        => UntilAsync(() => Assertions.Expect(_page.Locator(selector)).ToHaveTextAsync(text, new() { Timeout = Ms(deadline) }));

    /// <summary>Waits until <paramref name="selector"/> has attribute <paramref name="name"/> = <paramref name="value"/>.</summary>
    public Task HasAttributeAsync(string selector, string name, string value, TimeSpan? deadline = null)
        => UntilAsync(() => Assertions.Expect(_page.Locator(selector)).ToHaveAttributeAsync(name, value, new() { Timeout = Ms(deadline) }));

    /// <summary>Waits until <paramref name="selector"/>'s computed style <paramref name="property"/> is <paramref name="value"/>.</summary>
    public Task HasStyleAsync(string selector, string property, string value, TimeSpan? deadline = null)
        => UntilAsync(() => Assertions.Expect(_page.Locator(selector)).ToHaveCSSAsync(property, value, new() { Timeout = Ms(deadline) }));

    public Task HasCountAsync(string selector, int count, TimeSpan? deadline = null)
        => UntilAsync(() => Assertions.Expect(_page.Locator(selector)).ToHaveCountAsync(count, new() { Timeout = Ms(deadline) }));

    public Task IsVisibleAsync(string selector, TimeSpan? deadline = null)
        => UntilAsync(() => Assertions.Expect(_page.Locator(selector)).ToBeVisibleAsync(new() { Timeout = Ms(deadline) }));

    public Task IsHiddenAsync(string selector, TimeSpan? deadline = null)
        => UntilAsync(() => Assertions.Expect(_page.Locator(selector)).ToBeHiddenAsync(new() { Timeout = Ms(deadline) }));

    /// <summary>Waits for any Playwright expectation, saving a screenshot when it times out.</summary>
    public async Task UntilAsync(Func<Task> expectation)
    {
        try
        {
            await expectation();
        }
        catch (Exception e) when (e is PlaywrightException or TimeoutException)
        {
            await ScreenshotAsync("failed");
            throw;
        }
    }

    /// <summary>Saves the viewport with its transparency kept (as OBS composes it) and prints where.</summary>
    public async Task<string> ScreenshotAsync(string? step = null)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        var path = Path.Combine(ScreenshotFolder, step is null ? $"{_test}.png" : $"{_test}-{step}.png");
        await _page.ScreenshotAsync(new() { Path = path, OmitBackground = true });
        _output.WriteLine($"screenshot: {path}");
        return path;
    }

    /// <summary>
    /// A screenshot for the documentation: saved as <paramref name="name"/>.png in the folder STOCKCAST_DOC_SCREENSHOTS
    /// names (`make screenshots` sets it to docs/images), else only beside the test's own. A transparent page
    /// gets a dark backdrop first, as a live video would give it, so its white text can be read.
    /// </summary>
    public async Task DocumentAsync(string name, bool backdrop = false)
    {
        if (backdrop)
        {
            await _page.AddStyleTagAsync(new() { Content = "html { background: #39404d !important; }" });
        }
        await ScreenshotAsync(name);
        if (Environment.GetEnvironmentVariable("STOCKCAST_DOC_SCREENSHOTS") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            await _page.ScreenshotAsync(new() { Path = Path.Combine(folder, name + ".png") });
        }
    }

    private static float Ms(TimeSpan? deadline) => (float)(deadline ?? DefaultDeadline).TotalMilliseconds;

    public async ValueTask DisposeAsync() => await _context.CloseAsync();
}
