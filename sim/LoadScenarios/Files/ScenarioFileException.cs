namespace RoundRobinLab.Scenarios.Files;

/// <summary>A scenario file that cannot be run, with one line saying where and why: "FILE:LINE: FIELD: what is wrong".</summary>
public sealed class ScenarioFileException : FormatException
{
    public ScenarioFileException()
    {
    }

    public ScenarioFileException(string message)
        : base(message)
    {
    }

    public ScenarioFileException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
