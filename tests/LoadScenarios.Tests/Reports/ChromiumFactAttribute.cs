namespace RoundRobinLab.Scenarios.Tests.Reports;

/// <summary>
/// A fact that needs a real browser: where Chromium or chromedriver is missing, it is reported
/// as skipped with what is missing and the command that installs it, never as passed. With
/// LAB_REQUIRE_BROWSER=1 (a CI machine that must have them) it runs anyway and fails instead.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("LAB_REQUIRE_BROWSER") != "1" && HeadlessChromium.Missing() is { } missing)
        {
            Skip = missing;
        }
    }
}
