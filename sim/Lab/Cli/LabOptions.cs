using System.CommandLine;
using RoundRobinLab.Harness;

namespace RoundRobinLab.Lab.Cli;

/// <summary>Options several verbs take, made once per verb (a symbol belongs to one command).</summary>
internal static class LabOptions
{
    public static Option<string?> Proxy() => new("--proxy")
    {
        Description = "The proxy binary (default: $LAB_PROXY_BINARY, else artifacts/proxy/rrproxy, published when its sources changed).",
    };

    public static Option<int> ProxyPort() => Port("--proxy-port", LabDefaults.ProxyPort, "The proxy's port.");

    public static Option<int> AdminPort() => Port("--admin-port", LabDefaults.AdminPort, "The proxy's admin port.");

    public static Option<int> BackendBasePort() => Port("--backend-base-port", LabDefaults.BackendBasePort, "b1's port; b2 on the next, and so on; the fleet's control API one below.");

    public static Option<int> Rounds(int fallback) => Positive("--rounds", fallback, "Alternating rounds; the medians are reported.");

    public static Option<int> Positive(string name, int fallback, string description)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => fallback };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() <= 0)
            {
                result.AddError($"{name} must be a positive whole number.");
            }
        });
        return option;
    }

    private static Option<int> Port(string name, int fallback, string description)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => fallback };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 65535)
            {
                result.AddError($"{name} must be a port between 1 and 65535.");
            }
        });
        return option;
    }
}
