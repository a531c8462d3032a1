namespace RoundRobinLab.Scenarios.Expectations;

/// <summary>The proxy's view at one moment (seconds into the measured phase): which backends were in rotation.</summary>
public sealed record RotationSample(double Second, Dictionary<string, bool> InRotation);
