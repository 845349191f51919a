namespace Stockcast.Launch;

/// <summary>A Stockcast program as the repository builds it: its project folder and its assembly.</summary>
public sealed record BuiltProgram(string ProjectFolder, string Assembly)
{
    public static readonly BuiltProgram StockLedger = new("services/stock-ledger", "Stockcast.StockLedger.dll");
    public static readonly BuiltProgram WarehouseConnector = new("services/warehouse-connector", "Stockcast.WarehouseConnector.dll");
    public static readonly BuiltProgram Alerting = new("services/alerting", "Stockcast.Alerting.dll");
    public static readonly BuiltProgram OverlayBroadcast = new("services/overlay-broadcast", "Stockcast.OverlayBroadcast.dll");
    public static readonly BuiltProgram WarehouseSim = new("tools/warehouse-sim", "Stockcast.WarehouseSim.dll");
    public static readonly BuiltProgram SampleData = new("tools/sample-data", "Stockcast.SampleData.dll");
    public static readonly BuiltProgram RunLocal = new("tools/run-local", "Stockcast.RunLocal.dll");
}

/// <summary>Where the repository's programs are built, in one configuration (Release, Debug).</summary>
public sealed class BuildOutput(string repositoryRoot, string configuration)
{
    private const string TargetFramework = "net10.0";

    public string RepositoryRoot => repositoryRoot;
    public string Configuration => configuration;

    /// <summary>
    /// The repository and configuration of the running program (a test run, make run): the folder
    /// with Microservices.sln above it, and the configuration its own build output is in.
    /// </summary>
    public static BuildOutput OfRunningProgram()
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var root = bin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Microservices.sln")))
        {
            root = root.Parent;
        }
        return root is null
            ? throw new InvalidOperationException("Microservices.sln not found above " + AppContext.BaseDirectory)
            : new BuildOutput(root.FullName, bin.Parent!.Name);
    }

    /// <summary>The folder the program is built into, e.g. services/stock-ledger/bin/Release/net10.0.</summary>
    public string FolderOf(BuiltProgram program)
        => Path.Combine([repositoryRoot, .. program.ProjectFolder.Split('/'), "bin", configuration, TargetFramework]);

    public string AssemblyOf(BuiltProgram program) => Path.Combine(FolderOf(program), program.Assembly);
}
