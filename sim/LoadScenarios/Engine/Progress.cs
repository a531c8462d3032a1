namespace RoundRobinLab.Scenarios.Engine;

/// <summary>A progress report, once a second.</summary>
public sealed record Progress(TimeSpan Elapsed, TimeSpan Total, bool WarmingUp, long Completed, long Errors, double CurrentRate, long InFlight);
