// The lab runs on Linux: /proc, POSIX signals, file modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
