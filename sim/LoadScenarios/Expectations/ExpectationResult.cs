namespace RoundRobinLab.Scenarios.Expectations;

/// <summary>An expectation's verdict, the number it rests on and, in words, how that number was measured.</summary>
public sealed record ExpectationResult(string Expectation, string Reason, double Measured, string Measurement, bool Passed);
