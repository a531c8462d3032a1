namespace RoundRobinLab.Scenarios.Timeline;

/// <summary>What a <see cref="FleetCommand"/> does.</summary>
public enum FleetCommandKind
{
    Toxic,
    Clear,
    Remove,
    Down,
    Up,
    Drain,
    Undrain,
}
