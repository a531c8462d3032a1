using RoundRobinLab.Lab.Testing;

namespace RoundRobinLab.Lab.Tests.Testing;

public sealed class TrxResultsTests
{
    // The shape `dotnet test --logger trx` writes (VSTest's TRX), cut to what is read.
    private const string Trx = """
        <?xml version="1.0" encoding="utf-8"?>
        <TestRun id="d4951d7e-2ef6-4345-a5df-7b99272a915e" name="@vm" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
          <Results>
            <UnitTestResult testName="A.Passes" outcome="Passed" />
            <UnitTestResult testName="A.Fails(x: 1)" outcome="Failed">
              <Output><ErrorInfo><Message>Shouldly.ShouldAssertException : 2
            should be
        3
        but was not</Message><StackTrace>at A.Fails()</StackTrace></ErrorInfo></Output>
            </UnitTestResult>
            <UnitTestResult testName="A.Skipped" outcome="NotExecuted" />
          </Results>
          <ResultSummary outcome="Failed">
            <Counters total="3" executed="2" passed="1" failed="1" error="0" timeout="0" aborted="0" inconclusive="0" passedButRunAborted="0" notRunnable="0" notExecuted="1" disconnected="0" warning="0" completed="0" inProgress="0" pending="0" />
          </ResultSummary>
        </TestRun>
        """;

    [Fact]
    public void Read_CountsPassedFailedAndSkipped_AndNamesTheFailures()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lab-trx-{Guid.NewGuid():N}.trx");
        File.WriteAllText(path, Trx);
        try
        {
            var results = TrxResults.Read(path);

            results.Passed.ShouldBe(1);
            results.Failed.ShouldBe(1);
            results.Skipped.ShouldBe(1);
            results.Failures.ShouldHaveSingleItem().ShouldBe(("A.Fails(x: 1)", "Shouldly.ShouldAssertException : 2"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Read_ARunThatAborted_CountsWhatItLostAsFailed()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lab-trx-{Guid.NewGuid():N}.trx");
        File.WriteAllText(path, Trx.Replace("failed=\"1\" error=\"0\" timeout=\"0\" aborted=\"0\"", "failed=\"1\" error=\"2\" timeout=\"0\" aborted=\"1\"", StringComparison.Ordinal));
        try
        {
            TrxResults.Read(path).Failed.ShouldBe(4);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
