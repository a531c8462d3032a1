using RoundRobinLab.Proxy.Configuration;

namespace RoundRobinLab.Proxy.Tests.Configuration;

// One class, so that the tests that set environment variables never run beside each other.
public sealed class ProxySettingsTests : IDisposable
{
    private readonly string _emptyDirectory = Directory.CreateTempSubdirectory("rrproxy-settings-").FullName;

    public void Dispose() => Directory.Delete(_emptyDirectory, recursive: true);

    private ProxySettings Load(params string[] args) => ProxySettings.Load(args, _emptyDirectory);

    [Fact]
    public void Load_WithoutBackends_NamesTheSettingAndTheFix()
    {
        var error = Should.Throw<SettingsException>(() => Load());

        error.Message.ShouldContain("--backends");
        error.Message.ShouldContain("e.g. --backends http://");
        error.Message.ShouldNotContain("\n");
    }

    [Fact]
    public void Load_BackendList_KeepsOrderAndDropsTrailingSlash()
    {
        var settings = Load("--backends", "http://127.0.0.1:5001/, http://127.0.0.1:5002/api/");

        settings.Backends.Select(b => b.AbsoluteUri).ShouldBe(["http://127.0.0.1:5001/", "http://127.0.0.1:5002/api"]);
    }

    [Fact]
    public void Load_BackendWeights_FromTheCommandLine_DefaultOne()
    {
        var settings = Load("--backends", "http://127.0.0.1:5001 weight=3, http://127.0.0.1:5002,http://127.0.0.1:5003  weight=100");

        settings.Backends.Select(b => b.Port).ShouldBe([5001, 5002, 5003]);
        settings.Weights.ShouldBe([3, 1, 100]);
    }

    [Fact]
    public void Load_BackendWeights_FromAppSettings_ObjectsBesidePlainStrings_InOrder()
    {
        File.WriteAllText(Path.Combine(_emptyDirectory, "appsettings.json"),
            """{ "Proxy": { "Backends": [ { "Url": "http://10.0.0.1:8000", "Weight": 3 }, "http://10.0.0.2:8000", { "Url": "http://10.0.0.3:8000" } ] } }""");

        var settings = Load();

        settings.Backends.Select(b => b.Host).ShouldBe(["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
        settings.Weights.ShouldBe([3, 1, 1]);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5001 weight=0", "the weight '0' of http://127.0.0.1:5001 is not a whole number from 1 to 100")]
    [InlineData("http://127.0.0.1:5001 weight=101", "the weight '101'")]
    [InlineData("http://127.0.0.1:5001 weight=x", "the weight 'x'")]
    [InlineData("http://127.0.0.1:5001 heavy", "'http://127.0.0.1:5001 heavy' is not an absolute http:// or https:// URL")]
    public void Load_BadWeight_NamesTheSettingAndTheBackend(string backends, string expected)
    {
        var error = Should.Throw<SettingsException>(() => Load("--backends", backends));

        error.Message.ShouldStartWith("--backends (Proxy:Backends)");
        error.Message.ShouldContain(expected);
    }

    [Fact]
    public void Load_HealthPath_TurnsOnChecksWithHaproxyLikeDefaults()
    {
        Load("--backends", "http://127.0.0.1:5001").HealthChecks.ShouldBeNull();

        var checks = Load("--backends", "http://127.0.0.1:5001", "--health-path", "/healthz").HealthChecks!;

        checks.ShouldBe(new RoundRobinLab.Proxy.Health.HealthCheckOptions("/healthz", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), 3, 2));
        Load("--backends", "http://127.0.0.1:5001", "--health-path", "/h", "--health-interval", "0.5", "--health-timeout", "0.25", "--health-fall", "5", "--health-rise", "1")
            .HealthChecks.ShouldBe(new RoundRobinLab.Proxy.Health.HealthCheckOptions("/h", TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(0.25), 5, 1));
    }

    [Theory]
    [InlineData("healthz", "--health-path (Proxy:HealthPath): 'healthz' is not a path starting with /")]
    [InlineData("/a b", "--health-path (Proxy:HealthPath): '/a b' is not a path")]
    public void Load_BadHealthPath_NamesTheSetting(string path, string expected)
    {
        Should.Throw<SettingsException>(() => Load("--backends", "http://127.0.0.1:5001", "--health-path", path)).Message.ShouldStartWith(expected);
    }

    [Fact]
    public void Load_OnlyBackends_GivesTheDocumentedDefaults()
    {
        var settings = Load("--backends=http://127.0.0.1:5001");

        settings.Urls.ShouldBe([new ListenAddress("0.0.0.0", 8080)]);
        settings.AdminUrls.ShouldBe([new ListenAddress("127.0.0.1", 9901)]);
        settings.ConnectTimeout.ShouldBe(TimeSpan.FromSeconds(5));
        settings.ResponseTimeout.ShouldBe(TimeSpan.FromSeconds(100));
        settings.EjectDuration.ShouldBe(TimeSpan.FromSeconds(10));
        settings.IdleTimeout.ShouldBe(TimeSpan.FromSeconds(60));
        settings.MaxFails.ShouldBe(3);
        settings.TrustedProxies.ShouldBeEmpty();
        settings.MaxConnections.ShouldBe(10_000);
        settings.ClientHeaderTimeout.ShouldBe(TimeSpan.FromSeconds(30));
        settings.ClientKeepAliveTimeout.ShouldBe(TimeSpan.FromSeconds(130));
        settings.ClientMinBytesPerSecond.ShouldBe(240);
    }

    [Fact]
    public void Load_HardeningFlags_AreApplied()
    {
        var settings = Load("--backends", "http://127.0.0.1:5001", "--idle-timeout", "7", "--max-fails", "5",
            "--trusted-proxies", "10.0.0.0/8, 192.0.2.1,::1", "--max-connections", "500", "--client-header-timeout", "4",
            "--client-keepalive-timeout", "20", "--client-min-rate", "0");

        settings.IdleTimeout.ShouldBe(TimeSpan.FromSeconds(7));
        settings.MaxFails.ShouldBe(5);
        settings.TrustedProxies.Select(n => n.ToString()).ShouldBe(["10.0.0.0/8", "192.0.2.1/32", "::1/128"]);
        settings.MaxConnections.ShouldBe(500);
        settings.ClientHeaderTimeout.ShouldBe(TimeSpan.FromSeconds(4));
        settings.ClientKeepAliveTimeout.ShouldBe(TimeSpan.FromSeconds(20));
        settings.ClientMinBytesPerSecond.ShouldBe(0);
    }

    [Theory]
    [InlineData("--max-fails", "0", "whole number from 1")]
    [InlineData("--max-fails", "2.5", "whole number")]
    [InlineData("--max-connections", "lots", "whole number")]
    [InlineData("--client-min-rate", "-1", "whole number from 0")]
    [InlineData("--idle-timeout", "0", "number of seconds")]
    [InlineData("--trusted-proxies", "10.0.0.0/33", "not an address or CIDR range")]
    [InlineData("--trusted-proxies", "proxy.internal", "not an address or CIDR range")]
    public void Load_BadHardeningValue_NamesTheFlagAndTheValue(string flag, string value, string expected)
    {
        var error = Should.Throw<SettingsException>(() => Load("--backends", "http://127.0.0.1:5001", flag, value));

        error.Message.ShouldStartWith(flag);
        error.Message.ShouldContain($"'{value}'");
        error.Message.ShouldContain(expected);
        error.Message.ShouldNotContain("\n");
    }

    [Fact]
    public void Load_AllFlags_AreApplied()
    {
        var settings = Load("--backends", "http://127.0.0.1:5001", "--urls", "http://127.0.0.1:0", "--admin-urls", "http://localhost:9999",
            "--connect-timeout", "0.5", "--response-timeout", "2", "--eject-seconds", "3", "--shutdown-timeout", "0");

        settings.Urls.ShouldBe([new ListenAddress("127.0.0.1", 0)]);
        settings.AdminUrls.ShouldBe([new ListenAddress("localhost", 9999)]);
        settings.ConnectTimeout.ShouldBe(TimeSpan.FromMilliseconds(500));
        settings.ResponseTimeout.ShouldBe(TimeSpan.FromSeconds(2));
        settings.EjectDuration.ShouldBe(TimeSpan.FromSeconds(3));
        settings.ShutdownTimeout.ShouldBe(TimeSpan.Zero);
    }

    [Theory]
    [InlineData("localhost:5001")]
    [InlineData("ftp://127.0.0.1:5001")]
    [InlineData("http://127.0.0.1:5001/?q=1")]
    [InlineData("not a url")]
    public void Load_InvalidBackend_NamesTheValue(string backend)
    {
        var error = Should.Throw<SettingsException>(() => Load("--backends", backend));

        error.Message.ShouldContain("--backends (Proxy:Backends)");
        error.Message.ShouldContain(backend);
    }

    [Fact]
    public void Load_SameBackendTwice_IsRefused()
    {
        var error = Should.Throw<SettingsException>(() => Load("--backends", "http://127.0.0.1:5001,http://127.0.0.1:5001/"));

        error.Message.ShouldContain("listed twice");
    }

    [Theory]
    [InlineData("--connect-timeout", "0")]
    [InlineData("--connect-timeout", "-1")]
    [InlineData("--response-timeout", "soon")]
    [InlineData("--eject-seconds", "NaN")]
    public void Load_BadSeconds_NamesTheFlag(string flag, string value)
    {
        var error = Should.Throw<SettingsException>(() => Load("--backends", "http://127.0.0.1:5001", flag, value));

        error.Message.ShouldStartWith(flag);
        error.Message.ShouldContain($"'{value}'");
    }

    [Theory]
    [InlineData("https://0.0.0.0:8443", "https")]
    [InlineData("http://0.0.0.0", "port")]
    [InlineData("http://example.com:80", "IP address")]
    [InlineData("0.0.0.0:8080", "http://")]
    public void Load_BadListenUrl_SaysWhatIsWrong(string url, string expected)
    {
        var error = Should.Throw<SettingsException>(() => Load("--backends", "http://127.0.0.1:5001", "--urls", url));

        error.Message.ShouldStartWith("--urls (Proxy:Urls)");
        error.Message.ShouldContain(expected);
    }

    [Fact]
    public void Load_UnknownOption_PointsToHelp()
    {
        var error = Should.Throw<SettingsException>(() => Load("--backend", "http://127.0.0.1:5001"));

        error.Message.ShouldContain("unknown option '--backend'");
        error.Message.ShouldContain("--help");
    }

    [Fact]
    public void Load_FlagWithoutValue_SaysWhatItNeeds()
    {
        var error = Should.Throw<SettingsException>(() => Load("--backends"));

        error.Message.ShouldBe("--backends needs a value: --backends URL[ weight=N][,...].");
    }

    [Fact]
    public void Load_AppSettingsBesideTheBinary_IsRead_AndFlagsWin()
    {
        File.WriteAllText(Path.Combine(_emptyDirectory, "appsettings.json"),
            """{ "Proxy": { "Backends": [ "http://127.0.0.1:6001", "http://127.0.0.1:6002" ], "EjectSeconds": 7, "ConnectTimeoutSeconds": 9 } }""");

        var settings = Load("--eject-seconds", "2");

        settings.Backends.Count.ShouldBe(2);
        settings.EjectDuration.ShouldBe(TimeSpan.FromSeconds(2));
        settings.ConnectTimeout.ShouldBe(TimeSpan.FromSeconds(9));
    }

    [Fact]
    public void Load_BrokenAppSettings_IsOneClearLine()
    {
        File.WriteAllText(Path.Combine(_emptyDirectory, "appsettings.json"), "{ \"Proxy\": ");

        var error = Should.Throw<SettingsException>(() => Load("--backends", "http://127.0.0.1:5001"));

        error.Message.ShouldContain("appsettings.json is not valid JSON");
    }

    [Fact]
    public void Load_EnvironmentVariables_SetBackendsByIndex()
    {
        Environment.SetEnvironmentVariable("Proxy__Backends__0", "http://127.0.0.1:7001");
        Environment.SetEnvironmentVariable("Proxy__Backends__1", "http://127.0.0.1:7002");
        try
        {
            var settings = Load();

            settings.Backends.Select(b => b.Port).ShouldBe([7001, 7002]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("Proxy__Backends__0", null);
            Environment.SetEnvironmentVariable("Proxy__Backends__1", null);
        }
    }

    [Fact]
    public void HelpText_ListsEveryOptionWithItsDefault()
    {
        foreach (var option in CommandLine.Options)
        {
            CommandLine.HelpText.ShouldContain(option.Flag);
            CommandLine.HelpText.ShouldContain($"Default: {option.Default}");
        }
    }
}
