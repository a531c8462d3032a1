using System.Reflection;

namespace RoundRobinLab.Lab.Processes;

/// <summary>This lab, as a program to start again (the fleet in its own process for calibrate).</summary>
internal static class LabSelf
{
    /// <summary>The file to run and the arguments that come before <paramref name="args"/>: the apphost, or dotnet with lab.dll.</summary>
    public static (string FileName, string[] Args) Command(params string[] args)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("the lab's own executable is unknown.");
        return Path.GetFileNameWithoutExtension(host) == "dotnet"
            ? (host, [Assembly.GetEntryAssembly()!.Location, .. args])
            : (host, args);
    }
}
