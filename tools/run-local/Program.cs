using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Stockcast.Launch;
using Stockcast.RunLocal;

// The services run as Linux processes here (setsid, SIGTERM, an owner-only key file).
[assembly: SupportedOSPlatform("linux")]

// `make run`: Redis, the services, the warehouse simulator and live sample data on 127.0.0.1 (see
// LocalStack), kept running by the Supervisor until Ctrl-C, which stops them all and Redis last.
var build = BuildOutput.OfRunningProgram();
// STOCKCAST_RUN_DIR moves the keys, Redis's AOF and the logs elsewhere (a test runs its own stack).
var runFolder = Environment.GetEnvironmentVariable("STOCKCAST_RUN_DIR") is { Length: > 0 } dir ? Path.GetFullPath(dir) : Path.Combine(build.RepositoryRoot, ".run");
Directory.CreateDirectory(runFolder);
var ports = LocalPorts.FromEnvironment();
var stack = new LocalStack(build, ports, runFolder, Path.Combine(runFolder, "admin.key"));
var shownFolder = Path.GetRelativePath(Environment.CurrentDirectory, runFolder);

using var stop = new StopSignals();

using var supervisor = new Supervisor(stop.Token);
var exitCode = 0;
try
{
    await supervisor.StartAsync(stack.Redis());
    await supervisor.StartAsync(stack.Ledger());
    await supervisor.StartAsync(stack.Simulator());
    await supervisor.StartAsync(stack.Connector());
    await supervisor.StartAsync(stack.Alerting());
    await supervisor.StartAsync(stack.Overlay());
    var sampleData = stack.SampleData();
    var rooms = new DemoRooms(sampleData, StackWiring.Url(ports.OverlayHttp));
    await supervisor.StartAsync(sampleData);
    Console.WriteLine(Banner.Text(ports, shownFolder, await rooms.LinksAsync(TimeSpan.FromSeconds(30), stop.Token)));
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
{
    // Ctrl-C.
}
catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
{
    Console.Error.WriteLine($"make run: {ex.Message}{Environment.NewLine}(logs: {shownFolder}/*.log)");
    exitCode = 1;
}
finally
{
    // Whatever happened: the processes run in sessions of their own and would outlive this one.
    await supervisor.StopAllAsync();
}
Console.WriteLine("Stopped.");
return exitCode;
