using RoundRobinLab.Proxy.Configuration;
using RoundRobinLab.Proxy.Hosting;

// Run socket completions inline on the I/O threads instead of hopping to the thread pool: the
// proxy never blocks in a handler, and on two cores the hop costs 6-9% of throughput
// (./run-lab.sh compare, small responses at 50 connections). Read once, before the first socket;
// an operator's own setting wins.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

if (CommandLine.WantsHelp(args))
{
    Console.Out.Write(CommandLine.HelpText);
    return 0;
}

ProxySettings settings;
try
{
    settings = ProxySettings.Load(args);
}
catch (SettingsException e)
{
    // One line naming the setting and the fix; a stack trace would help no operator.
    Console.Error.WriteLine($"rrproxy: {e.Message}");
    return 2;
}

// SIGHUP and edits of appsettings.json reload the backends, with the same precedence as at start.
await using var proxy = ProxyHost.Create(settings, reload: () => ProxySettings.Load(args),
    watchFile: Path.Combine(AppContext.BaseDirectory, "appsettings.json"));
try
{
    await proxy.RunAsync();
}
catch (IOException e)
{
    Console.Error.WriteLine($"rrproxy: cannot listen: {e.Message} Choose a free address with --urls / --admin-urls.");
    return 1;
}

return 0;
