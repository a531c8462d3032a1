using RoundRobinLab.Proxy.Configuration;
using RoundRobinLab.Proxy.Hosting;

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

await using var proxy = ProxyHost.Create(settings);
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
