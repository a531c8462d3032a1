namespace RoundRobinLab.Harness;

/// <summary>Where an experiment's proxy, its admin API and its backends listen on loopback.</summary>
public sealed record LabPorts(int ProxyPort = LabDefaults.ProxyPort, int AdminPort = LabDefaults.AdminPort, int BackendBasePort = LabDefaults.BackendBasePort)
{
    /// <summary>The fleet's control API: the port below the first backend's.</summary>
    public int ControlPort => BackendBasePort - 1;
}
