using System.Globalization;
using System.Xml.Linq;

namespace RoundRobinLab.Lab.Testing;

/// <summary>
/// A test run's results from the TRX file `dotnet test --logger trx` writes: counts and the failed
/// tests with their messages. Structured data, not the console's wording.
/// </summary>
internal sealed record TrxResults(int Passed, int Failed, int Skipped, IReadOnlyList<(string Test, string Message)> Failures)
{
    private static readonly XNamespace s_trx = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    public static TrxResults Read(string path)
    {
        var document = XDocument.Load(path);
        var counters = document.Descendants(s_trx + "Counters").Single();
        int Count(string name) => int.Parse(counters.Attribute(name)?.Value ?? "0", CultureInfo.InvariantCulture);
        var failures = document.Descendants(s_trx + "UnitTestResult")
            .Where(r => r.Attribute("outcome")?.Value is "Failed" or "Error" or "Timeout" or "Aborted")
            .Select(r => (r.Attribute("testName")?.Value ?? "?",
                (r.Descendants(s_trx + "Message").FirstOrDefault()?.Value ?? "").Split('\n')[0].Trim()))
            .ToList();
        // A run that crashed counts what it lost as errors or aborted, not as failed.
        var failed = Count("failed") + Count("error") + Count("timeout") + Count("aborted");
        return new TrxResults(Count("passed"), Math.Max(failed, failures.Count), Count("notExecuted"), failures);
    }
}
