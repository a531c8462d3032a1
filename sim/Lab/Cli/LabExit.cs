namespace RoundRobinLab.Lab.Cli;

/// <summary>The lab's exit codes, the same for every verb.</summary>
internal static class LabExit
{
    public const int Passed = 0;

    /// <summary>A threshold, a test or a check failed.</summary>
    public const int Failed = 1;

    /// <summary>Bad input or a missing tool: the message says which.</summary>
    public const int Usage = 2;

    public const int Interrupted = 130;
}
