namespace RoundRobinLab.Proxy.Hosting;

/// <summary>
/// Calls back once some files have changed and then settled: an editor or a renewal writes in
/// several steps (or replaces the file), so the callback runs 200 ms after the last event seen.
/// The directories are watched, not the files, so a file replaced by a rename is seen too.
/// </summary>
internal sealed class FileWatch : IDisposable
{
    private static readonly TimeSpan s_settle = TimeSpan.FromMilliseconds(200);
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly ITimer _settle;

    public FileWatch(IEnumerable<string> files, Action changed)
    {
        _settle = TimeProvider.System.CreateTimer(_ => changed(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        foreach (var file in files)
        {
            var full = Path.GetFullPath(file);
            if (Path.GetDirectoryName(full) is not { } directory || !Directory.Exists(directory))
            {
                continue;
            }

            var watcher = new FileSystemWatcher(directory, Path.GetFileName(full))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size,
            };
            watcher.Changed += (_, _) => Settle();
            watcher.Created += (_, _) => Settle();
            watcher.Renamed += (_, _) => Settle();
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    public void Dispose()
    {
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _settle.Dispose();
    }

    private void Settle() => _settle.Change(s_settle, Timeout.InfiniteTimeSpan);
}
