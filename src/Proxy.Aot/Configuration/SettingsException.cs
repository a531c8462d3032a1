namespace RoundRobinLab.Proxy.Configuration;

/// <summary>
/// A setting that is missing or wrong. Its message is one line for an operator: the setting, what
/// is wrong with it and how to fix it. Program prints it instead of a stack trace.
/// </summary>
internal sealed class SettingsException(string message) : Exception(message);
