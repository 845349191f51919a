namespace Stockcast.Testing;

/// <summary>Where a service's build output is, next to this test run (same configuration).</summary>
public static class BuildOutput
{
    /// <param name="projectFolder">The project's folder below the repository root, e.g. "services/stock-ledger".</param>
    /// <param name="assembly">The service's assembly file, e.g. "Stockcast.StockLedger.dll".</param>
    public static string Of(string projectFolder, string assembly)
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = testBin.Parent!.Name;
        var root = testBin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Microservices.sln")))
        {
            root = root.Parent;
        }
        if (root is null)
        {
            throw new InvalidOperationException("Microservices.sln not found above " + AppContext.BaseDirectory);
        }
        return Path.Combine([root.FullName, .. projectFolder.Split('/'), "bin", configuration, "net10.0", assembly]);
    }
}
