using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace RoundRobinLab.Scenarios.Tests.Reports;

/// <summary>
/// Debian's Chromium and chromedriver, driven headless. Both paths are given to Selenium, so
/// Selenium Manager never runs (it would try to download a browser and a driver).
/// LAB_CHROMIUM and LAB_CHROMEDRIVER point elsewhere (another install, or a missing one to see the skip).
/// </summary>
internal static class HeadlessChromium
{
    public const string InstallCommand = "apt-get update && apt-get install -y chromium chromium-driver";

    public static string BrowserPath => Environment.GetEnvironmentVariable("LAB_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public static string DriverPath => Environment.GetEnvironmentVariable("LAB_CHROMEDRIVER") is { Length: > 0 } path ? path : "/usr/bin/chromedriver";

    /// <summary>What is missing, in words, with the command that installs it; null when both are there.</summary>
    public static string? Missing()
    {
        var missing = new List<string>();
        if (!File.Exists(BrowserPath))
        {
            missing.Add($"Chromium ({BrowserPath})");
        }

        if (!File.Exists(DriverPath))
        {
            missing.Add($"chromedriver ({DriverPath})");
        }

        return missing.Count == 0 ? null : $"{string.Join(" and ", missing)} not installed; install with: {InstallCommand}";
    }

    /// <summary>
    /// A headless browser; the caller quits it, which stops Chromium, and disposes the service,
    /// which stops chromedriver. Every wait is bounded, so a wedged browser fails the test instead of hanging it.
    /// </summary>
    public static (ChromeDriver Driver, ChromeDriverService Service) Start()
    {
        if (Missing() is { } missing)
        {
            throw new InvalidOperationException(missing);
        }

        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions
        {
            BinaryLocation = BrowserPath,
            PageLoadTimeout = TimeSpan.FromSeconds(30),
        };
        // --no-sandbox: tests may run as root in a container, where Chromium's sandbox cannot start.
        // --disable-dev-shm-usage: a container's /dev/shm is often too small for the renderer.
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,2400");
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        try
        {
            return (new ChromeDriver(service, options, TimeSpan.FromSeconds(60)), service);
        }
        catch
        {
            service.Dispose();
            throw;
        }
    }
}
