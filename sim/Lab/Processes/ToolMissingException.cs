namespace RoundRobinLab.Lab.Processes;

/// <summary>A program the lab needs is not installed; the message says how to install it.</summary>
internal sealed class ToolMissingException(string message) : Exception(message);
