namespace Stockcast.WarehouseSim;

/// <summary>The "Sim" configuration section.</summary>
public sealed class SimOptions
{
    /// <summary>A scenario JSON file loaded at start, relative to the content root. Empty: start with no warehouses.</summary>
    public string? ScenarioFile { get; set; }

    /// <summary>Advance scenario time by itself every second (for `make run`); tests leave it off and advance explicitly.</summary>
    public bool RealTime { get; set; }

    /// <summary>Messy mode for the scenario file, unless it sets its own (`make run` asks for a little: 0.02). 0: off.</summary>
    public double MessRate { get; set; }
}
