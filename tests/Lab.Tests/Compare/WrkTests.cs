using RoundRobinLab.Lab.Compare;

namespace RoundRobinLab.Lab.Tests.Compare;

public sealed class WrkTests
{
    // wrk 4.1's report with --latency, as it printed it here (errors lines added from another run).
    private const string Report = """
        Running 1s test @ http://127.0.0.1:6301/
          1 threads and 5 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency    12.28ms    1.25ms  16.60ms   75.62%
            Req/Sec   405.18     21.66   434.00     72.73%
          Latency Distribution
             50%   11.99ms
             75%   13.23ms
             90%   13.66ms
             99%   15.64ms
          443 requests in 1.10s, 141.47KB read
          Socket errors: connect 0, read 2, write 0, timeout 1
          Non-2xx or 3xx responses: 4
        Requests/sec:    402.87
        Transfer/sec:    128.65KB
        """;

    [Fact]
    public void Parse_AReportWithLatencies_ReadsRateRequestsPercentilesAndErrors()
    {
        var result = Wrk.Parse(Report);

        result.RequestsPerSecond.ShouldBe(402.87);
        result.Requests.ShouldBe(443);
        result.P50Ms.ShouldBe(11.99);
        result.P99Ms.ShouldBe(15.64);
        result.SocketErrors.ShouldBe(3);
        result.Non2xx.ShouldBe(4);
    }

    [Fact]
    public void Parse_AReportWithoutLatencyDistribution_SaysSo()
    {
        var withoutLatency = string.Join('\n', Report.Split('\n').Where(line => !line.Contains('%', StringComparison.Ordinal)));

        Should.Throw<FormatException>(() => Wrk.Parse(withoutLatency)).Message.ShouldContain("--latency");
    }

    [Theory]
    [InlineData("812.00us", 0.812)]
    [InlineData("10.12ms", 10.12)]
    [InlineData("1.20s", 1200)]
    [InlineData("2.00m", 120_000)]
    public void Milliseconds_EachUnitWrkPrints_ConvertsToMilliseconds(string text, double expected) =>
        Wrk.Milliseconds(text).ShouldBe(expected, 1e-9);

    [Fact]
    public void Milliseconds_NotALatency_Throws() => Should.Throw<FormatException>(() => Wrk.Milliseconds("12 ms"));
}
