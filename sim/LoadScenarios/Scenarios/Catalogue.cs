using RoundRobinLab.Backends.Profiles;
using RoundRobinLab.Scenarios.Engine;
using RoundRobinLab.Scenarios.Lab;
using RoundRobinLab.Scenarios.Thresholds;

namespace RoundRobinLab.Scenarios.Scenarios;

/// <summary>
/// The scenarios the lab knows. Each threshold carries the reason it holds, and the distribution
/// bound each scenario asserts is derived from how the proxy picks backends: one ticket per
/// attempt over the backends in rotation, so with no failure any N consecutive requests give
/// each of k backends ⌊N/k⌋ or ⌈N/k⌉ (spread ≤ 1); failures loosen it as each scenario says.
/// </summary>
public static class Catalogue
{
    private const string StrictRoundRobin = "strict round robin: one ticket per request over the same 3 backends, nothing fails, so any N consecutive requests give each ⌊N/3⌋ or ⌈N/3⌉";
    private const string TwoViews = "the client's X-Backend-Id counts and the backends' own request logs are two views of the same requests";
    private const string NothingFails = "healthy backends: no request may fail";

    private static readonly Threshold[] s_even =
    [
        Threshold.Parse("spread<=1", StrictRoundRobin),
        Threshold.Parse("mismatch==0", TwoViews),
        Threshold.Parse("errorcount==0", NothingFails),
    ];

    /// <summary>
    /// Every scenario: those defined here (their checks need code: custom metrics, request mixes,
    /// WebSocket sessions, admin API calls) and the files in scenarios/ at the repository root,
    /// read once.
    /// </summary>
    public static IReadOnlyList<Scenario> All => s_all.Value;

    /// <summary>scenarios/ at the repository root: the built-in scenarios that are files.</summary>
    public static string FilesDirectory => Path.Combine(Harness.LabPaths.RepositoryRoot, "scenarios");

    private static readonly Lazy<IReadOnlyList<Scenario>> s_all = new(() => WithFiles(FilesDirectory));

    /// <summary>The scenarios defined in code.</summary>
    public static IReadOnlyList<Scenario> InCode { get; } =
    [
        new()
        {
            Name = "mixed",
            Purpose = "Mixed methods and bodies up to 1 MiB: any request counts as one turn.",
            Simulation = LoadSimulation.Rate(100, TimeSpan.FromSeconds(10)),
            Requests = Mixed,
            Thresholds = s_even,
        },
        new()
        {
            Name = "backend-dies",
            Purpose = "b2 dies mid-run and comes back: no request fails, the survivors share evenly, b2 rejoins.",
            Setup = new LabSetup { ProxyArgs = ["--eject-seconds", "1"] },
            Simulation = LoadSimulation.Rate(200, TimeSpan.FromSeconds(12)),
            Actions = lab =>
            [
                new(TimeSpan.FromSeconds(3), "b2 down", () => lab.Fleet["b2"].DownAsync()),
                new(TimeSpan.FromSeconds(7), "b2 up", () => lab.Fleet["b2"].UpAsync()),
            ],
            EvenAmong = ["b1", "b3"],
            ExtraMetrics = BackendDiesMetrics,
            Thresholds =
            [
                Threshold.Parse("errorcount==0", "every request is a GET: one that b2 refuses is retried on the next backend"),
                Threshold.Parse("survivorexcess<=0", "b1 and b3 stay within one request of each other per stable rotation, so their spread is at most the number of rotation changes (ejections and readmissions on the proxy's /stats) + 1"),
                Threshold.Parse("rejoined>0", "after its cool-down b2 is readmitted and gets requests again (its share of the last 3 s)"),
            ],
        },
        new()
        {
            Name = "all-die",
            Purpose = "Every backend dies, then recovers: the proxy answers with clear 502/503s at once, then serves again.",
            Setup = new LabSetup { ProxyArgs = ["--eject-seconds", "1"] },
            Simulation = LoadSimulation.Rate(100, TimeSpan.FromSeconds(10)),
            Actions = lab =>
            [
                new(TimeSpan.FromSeconds(3), "all down", () => Task.WhenAll(lab.Fleet.Backends.Select(b => b.DownAsync()))),
                new(TimeSpan.FromSeconds(6), "all up", () => Task.WhenAll(lab.Fleet.Backends.Select(b => b.UpAsync()))),
            ],
            ExtraMetrics = r => new() { ["recovered"] = Recovered(r, seconds: 2) },
            Thresholds =
            [
                Threshold.Parse("transport==0", "the proxy always answers: connection failures become 502/503, never a reset or a hang"),
                Threshold.Parse("status503>0", "while no backend is in rotation the proxy answers 503 at once"),
                Threshold.Parse("p99<1000ms", "no backend means an answer within a second, not a wait"),
                Threshold.Parse("recovered>0", "once the backends are back and readmitted, requests succeed again (200s in the last 2 s)"),
            ],
        },
        new()
        {
            Name = "hung-backend",
            Purpose = "b2 accepts connections and never answers: it is ejected after --max-fails timeouts, every client gets an answer within the response timeout + 1 s, b1 and b3 share the rest evenly.",
            Setup = new LabSetup
            {
                // The cool-down outlasts the run, so b2 is ejected once and stays out.
                ProxyArgs = ["--response-timeout", "1", "--max-fails", "3", "--eject-seconds", "120"],
                Profiles = new ProfileFile { Backends = { ["b2"] = new BackendProfile { Faults = new FaultProfile { NoResponse = 1.0 } } } },
            },
            // Four users, no warm-up: the ejection happens in the measured phase.
            Simulation = LoadSimulation.Users(4, TimeSpan.FromSeconds(10)),
            WarmUp = TimeSpan.Zero,
            EvenAmong = ["b1", "b3"],
            ExtraMetrics = r => new() { ["hungrequests"] = r.Proxy?.GetValueOrDefault("b2") ?? double.NaN },
            Thresholds =
            [
                Threshold.Parse("hungrequests<=6", "b2 is ejected once it has failed 3 times in a row; with 4 users at most the other 3 users' requests can be on their way to it then: 3 + 3"),
                Threshold.Parse("status504>=3", "b2 never answers, so --max-fails 3 response timeouts come before its ejection"),
                Threshold.Parse("max<2000ms", "every request gets an answer within --response-timeout (1 s) + 1 s: a hung backend costs a 504, never a hang"),
                Threshold.Parse("transport==0", "the proxy always answers: a timeout is a 504, not a reset"),
                Threshold.Parse("spread<=2", "b1 and b3 stay within one request of each other per stable rotation; b2's ejection changes the rotation once: 1 + 1"),
            ],
        },
        new()
        {
            Name = "weighted",
            Purpose = "Weights 3:2:1 under concurrent load: each backend gets its exact share of the rotation.",
            Setup = new LabSetup { Weights = [3, 2, 1] },
            Simulation = LoadSimulation.Rate(300, TimeSpan.FromSeconds(15)),
            ExtraMetrics = r => new() { ["weightdeviation"] = WeightDeviation(r.Client.Counts, ["b1", "b2", "b3"], [3, 2, 1]) },
            Thresholds =
            [
                Threshold.Parse("weightdeviation<2", "smooth weighted round robin over one ticket per request: any N consecutive requests give each backend within two of N·w/W (within one from a cycle start)"),
                Threshold.Parse("mismatch==0", TwoViews),
                Threshold.Parse("errorcount==0", NothingFails),
            ],
        },
        new()
        {
            Name = "drain",
            Purpose = "b2 is drained through the admin API under load, then undrained: nothing fails, b2 gets nothing while drained, then its share again.",
            Simulation = LoadSimulation.Rate(200, TimeSpan.FromSeconds(10)),
            Actions = lab =>
            [
                new(TimeSpan.FromSeconds(3), "drain b2", () => lab.DrainAsync("b2", drain: true)),
                new(TimeSpan.FromSeconds(7), "undrain b2", () => lab.DrainAsync("b2", drain: false)),
            ],
            EvenAmong = ["b1", "b3"],
            ExtraMetrics = r => new()
            {
                // The points at 5 s and 6 s cover seconds 4-6 of the measured phase: from a second
                // after the drain (requests already on their way may still end at b2) to a second
                // before the undrain.
                ["whiledrained"] = Served(r, "b2", after: 4.5, before: 6.5),
                ["rejoined"] = ServedLast(r, "b2", seconds: 2),
            },
            Thresholds =
            [
                Threshold.Parse("errorcount==0", "a drain stops new requests to b2 and lets its in-flight ones finish: no request may fail"),
                Threshold.Parse("whiledrained==0", "a drained backend gets no request, not even in panic"),
                Threshold.Parse("rejoined>0", "after the undrain b2 is back in rotation (its requests in the last 2 s)"),
                Threshold.Parse("spread<=3", "b1 and b3 stay within one request of each other per stable rotation; the drain and the undrain change it twice: 1 + 2"),
            ],
        },
        new()
        {
            Name = "health-check",
            Purpose = "b2 answers / but its /healthz says 503 from 3 s to 6 s: active checks take it out of rotation and bring it back, nothing fails.",
            Setup = new LabSetup { ProxyArgs = ["--health-path", "/healthz", "--health-interval", "0.25", "--health-fall", "2", "--health-rise", "2"] },
            Simulation = LoadSimulation.Rate(200, TimeSpan.FromSeconds(10)),
            Actions = lab =>
            [
                new(TimeSpan.FromSeconds(3), "b2 /healthz 503", () => SetHealth(lab, "b2", 503)),
                new(TimeSpan.FromSeconds(6), "b2 /healthz 200", () => SetHealth(lab, "b2", 200)),
            ],
            EvenAmong = ["b1", "b3"],
            ExtraMetrics = r => new()
            {
                // The points at 5 s and 6 s cover seconds 4-6: out of rotation by 3 s + fall (2) × interval (0.25 s) + one interval,
                // back no sooner than 6 s + rise × interval.
                ["whileunhealthy"] = Served(r, "b2", after: 4.5, before: 6.5),
                ["rejoined"] = ServedLast(r, "b2", seconds: 2),
            },
            Thresholds =
            [
                Threshold.Parse("errorcount==0", "a failing health check takes b2 out before any request fails: / still answers"),
                Threshold.Parse("whileunhealthy==0", "from --health-fall failed checks on, b2 gets no request"),
                Threshold.Parse("rejoined>0", "after --health-rise passed checks b2 is back (its requests in the last 2 s)"),
                Threshold.Parse("spread<=3", "b1 and b3 stay within one request of each other per stable rotation; b2 leaving and rejoining changes it twice: 1 + 2"),
            ],
        },
        new()
        {
            Name = "slow-start",
            Purpose = "b2 dies at 2 s and returns at 4 s with --slow-start 5: its share climbs back over 5 s instead of jumping, nothing fails.",
            Setup = new LabSetup { ProxyArgs = ["--eject-seconds", "1", "--slow-start", "5"] },
            Simulation = LoadSimulation.Rate(300, TimeSpan.FromSeconds(14)),
            Actions = lab =>
            [
                new(TimeSpan.FromSeconds(2), "b2 down", () => lab.Fleet["b2"].DownAsync()),
                new(TimeSpan.FromSeconds(4), "b2 up", () => lab.Fleet["b2"].UpAsync()),
            ],
            ExtraMetrics = SlowStartMetrics,
            Thresholds =
            [
                Threshold.Parse("errorcount==0", "every request is a GET: one that b2 refuses while down is retried on the next backend"),
                Threshold.Parse("rampfirst<0.25", "in its second full second back b2 is at most 2/5 of the way up its ramp: a share of at most 4/24, where a jump would give it 1/3"),
                Threshold.Parse("ramplast>0.28", "the ramp is over by the end (readmitted by ~5 s, full weight 5 s later): a third again"),
            ],
        },
        new()
        {
            Name = "reload",
            Purpose = "Under load the backend set changes through PUT /backends (b1 removed, b4 added): nothing fails, b1 gets nothing after, b2-b4 share evenly.",
            Setup = new LabSetup { Backends = 4, ProxyBackends = 3 },
            Simulation = LoadSimulation.Rate(200, TimeSpan.FromSeconds(10)),
            Actions = lab => [new(TimeSpan.FromSeconds(4), "b1 out, b4 in", () => lab.ReplaceBackendsAsync("b2", "b3", "b4"))],
            EvenAmong = ["b2", "b3"],
            ExtraMetrics = r =>
            {
                // The points from 6 s on cover seconds 5-10: a second after the change.
                long Sum(string id) => Served(r, id, after: 5.5, before: double.PositiveInfinity);
                return new()
                {
                    ["b1after"] = Sum("b1"),
                    ["b4after"] = Sum("b4"),
                    ["newspread"] = new[] { Sum("b2"), Sum("b3"), Sum("b4") }.Max() - new[] { Sum("b2"), Sum("b3"), Sum("b4") }.Min(),
                };
            },
            Thresholds =
            [
                Threshold.Parse("errorcount==0", "a removed backend finishes what it has in flight; no request is lost across the change"),
                Threshold.Parse("b1after==0", "a removed backend takes no new request"),
                Threshold.Parse("b4after>0", "an added backend joins the rotation at once"),
                Threshold.Parse("newspread<=2", "strict round robin over the new set: any run of consecutive requests gives b2, b3, b4 within one of each other; a second of slack at each end of the window"),
            ],
        },
        new()
        {
            Name = "websocket",
            Purpose = "120 WebSocket sessions, 8 at a time, each echoing a text and a 200 KiB binary message: sessions spread one per ticket, nothing lost.",
            Simulation = LoadSimulation.Users(8, TimeSpan.FromSeconds(10)),
            WebSocketSessions = 120,
            Thresholds =
            [
                Threshold.Parse("spread<=1", "a WebSocket session is one request in the rotation: one ticket each, so 120 sessions give each of 3 backends 40"),
                Threshold.Parse("mismatch==0", "the sessions each backend tagged (client view) are the sessions each backend accepted"),
                Threshold.Parse("errorcount==0", "every echo comes back byte for byte: the tunnel loses nothing"),
            ],
        },
        new()
        {
            Name = "tls",
            Purpose = "Steady load over HTTPS with HTTP/2 (many requests per connection): the proxy terminates TLS and the split stays exact per request.",
            Setup = new LabSetup { Tls = true },
            HttpVersion = System.Net.HttpVersion.Version20,
            Simulation = LoadSimulation.Rate(300, TimeSpan.FromSeconds(10)),
            Thresholds = [.. s_even, Threshold.Parse("p99<250ms", "loopback, 300 req/s: far below saturation, TLS included")],
        },
        new()
        {
            Name = "tls-http1",
            Purpose = "The same load over HTTPS with HTTP/1.1: the baseline for the latencies of tls.",
            Setup = new LabSetup { Tls = true },
            Simulation = LoadSimulation.Rate(300, TimeSpan.FromSeconds(10)),
            Thresholds = [.. s_even, Threshold.Parse("p99<250ms", "loopback, 300 req/s: far below saturation, TLS included")],
        },
    ];

    /// <summary>The short set CI runs on every change: under a minute in all.</summary>
    public static IReadOnlyList<(string Name, TimeSpan Duration)> CiSet { get; } =
    [
        ("steady", TimeSpan.FromSeconds(5)),
        ("mixed", TimeSpan.FromSeconds(4)),
        ("backend-dies", TimeSpan.FromSeconds(12)),
        ("all-die", TimeSpan.FromSeconds(10)),
        ("hung-backend", TimeSpan.FromSeconds(8)),
        ("weighted", TimeSpan.FromSeconds(5)),
        ("drain", TimeSpan.FromSeconds(10)),
        // Its length is its 120 sessions (under a second), whatever the duration says.
        ("websocket", TimeSpan.FromSeconds(5)),
    ];

    public static Scenario? Find(string name) => All.FirstOrDefault(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The built-in scenarios and those in <paramref name="directory"/> (*.yaml, *.yml, *.json, one
    /// scenario each), in that order; a file may not take a built-in scenario's name, nor another file's.
    /// </summary>
    public static IReadOnlyList<Scenario> WithFiles(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return InCode;
        }

        var scenarios = InCode.ToList();
        foreach (var path in Directory.EnumerateFiles(directory).Where(IsScenarioFile).Order(StringComparer.Ordinal))
        {
            var scenario = Files.ScenarioFile.Load(path);
            if (scenarios.FirstOrDefault(s => s.Name.Equals(scenario.Name, StringComparison.OrdinalIgnoreCase)) is { } taken)
            {
                throw new Files.ScenarioFileException($"{path}:1: name: '{scenario.Name}' is taken by {taken.SourceFile ?? "a built-in scenario"}.");
            }

            scenarios.Add(scenario);
        }

        return scenarios;
    }

    /// <summary>Whether the path names a scenario file by its extension.</summary>
    public static bool IsScenarioFile(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".yaml" or ".yml" or ".json";

    /// <summary>40% GET, 15% HEAD, 15% POST with 64 KiB, 10% PUT with 1 MiB, 10% DELETE, 10% PATCH with 1 KiB.</summary>
    private static RequestSpec Mixed(long n) => (n % 20) switch
    {
        < 8 => RequestSpec.Get($"/items/{n}"),
        < 11 => new RequestSpec("HEAD", $"/items/{n}"),
        < 14 => new RequestSpec("POST", "/items", 64 * 1024),
        < 16 => new RequestSpec("PUT", $"/items/{n}", 1024 * 1024),
        < 18 => new RequestSpec("DELETE", $"/items/{n}"),
        _ => new RequestSpec("PATCH", $"/items/{n}", 1024),
    };

    private static Dictionary<string, double> BackendDiesMetrics(ScenarioResult result)
    {
        var changes = RotationChanges(result);
        var spread = ScenarioMetrics.SpreadAmong(result.Outcome.BackendsAllPhases, "b1", "b3");
        return new()
        {
            ["rotationchanges"] = changes,
            ["survivorspread"] = spread,
            ["survivorexcess"] = spread - (changes + 1),
            ["rejoined"] = ServedLast(result, "b2", seconds: 3),
        };
    }

    /// <summary>Requests <paramref name="id"/> served in the timeline's points stamped between the two seconds (each point covers the second before its stamp).</summary>
    private static long Served(ScenarioResult result, string id, double after, double before) =>
        result.Outcome.Timeline.Where(p => p.Second > after && p.Second < before).Sum(p => p.Backends.GetValueOrDefault(id));

    /// <summary>Requests <paramref name="id"/> served in the last <paramref name="seconds"/> of the run.</summary>
    private static long ServedLast(ScenarioResult result, string id, int seconds) =>
        result.Outcome.Timeline.TakeLast(seconds).Sum(p => p.Backends.GetValueOrDefault(id));

    private static Task SetHealth(LabEnvironment lab, string id, int status)
    {
        var backend = lab.Fleet[id];
        backend.Profile = backend.Profile with { HealthStatus = status };
        return Task.CompletedTask;
    }

    /// <summary>b2's share of each second once it is back: in its second full second, and over the last two.</summary>
    private static Dictionary<string, double> SlowStartMetrics(ScenarioResult result)
    {
        static double Share(IEnumerable<TimelinePoint> points) =>
            points.Sum(p => p.Backends.Values.Sum()) is var total and > 0 ? (double)points.Sum(p => p.Backends.GetValueOrDefault("b2")) / total : double.NaN;

        var timeline = result.Outcome.Timeline;
        // After the up at 4 s, the first second in which b2 served may be a partial one.
        var back = timeline.FindIndex(p => p.Second > 4.5 && p.Backends.GetValueOrDefault("b2") > 0);
        return new()
        {
            ["rampfirst"] = back < 0 || back + 1 >= timeline.Count ? double.NaN : Share([timeline[back + 1]]),
            ["ramplast"] = Share(timeline.TakeLast(2)),
        };
    }

    /// <summary>The largest distance of a backend's count from its exact weighted share of all the requests counted.</summary>
    private static double WeightDeviation(IReadOnlyDictionary<string, long> counts, string[] backends, int[] weights)
    {
        var total = backends.Sum(b => counts.GetValueOrDefault(b));
        var weightSum = weights.Sum();
        return backends.Select((b, i) => Math.Abs(counts.GetValueOrDefault(b) - ((double)total * weights[i] / weightSum))).Max();
    }

    private static double Recovered(ScenarioResult result, int seconds) =>
        result.Outcome.Timeline.TakeLast(seconds).Sum(p => p.Completed - p.Errors);

    /// <summary>Ejections and readmissions, as the proxy counts them on /stats.</summary>
    private static long RotationChanges(ScenarioResult result) => result.ProxyRotationChanges ?? 0;
}
