using System.Text;
using RoundRobinLab.Lab.Cli;
using RoundRobinLab.Scenarios.Reports;

namespace RoundRobinLab.Lab.Compare;

/// <summary>The medians of compare's rounds per load and proxy, the ratios to nginx, as Markdown and an SVG chart.</summary>
internal static class CompareSummary
{
    private static readonly Dictionary<string, string> s_colors = new() { ["rrproxy"] = "#2563eb", ["nginx"] = "#16a34a", ["haproxy"] = "#ea580c" };

    /// <summary>One row of the table: the medians over the rounds of one proxy under one load.</summary>
    public sealed record Row(string Group, string Proxy, double RequestsPerSecond, double RpsVsNginx, double P50Ms, double P99Ms, double P99VsNginx, double CpuMicros, double CpuVsNginx, double ResidentMiB);

    public static List<Row> Rows(IReadOnlyList<CompareRound> rounds)
    {
        var rows = new List<Row>();
        foreach (var group in rounds.Select(r => r.Group).Distinct())
        {
            var inGroup = rounds.Where(r => r.Group == group).ToList();
            double Median(string proxy, Func<CompareRound, double> value) => Statistics.Median(inGroup.Where(r => r.Proxy == proxy).Select(value));
            var nginxRps = Median("nginx", r => r.Wrk.RequestsPerSecond);
            var nginxP99 = Median("nginx", r => r.Wrk.P99Ms);
            var nginxCpu = Median("nginx", r => r.CpuMicrosPerRequest);
            foreach (var proxy in ProxyLineup.Names.Where(p => inGroup.Any(r => r.Proxy == p)))
            {
                var rps = Median(proxy, r => r.Wrk.RequestsPerSecond);
                var p99 = Median(proxy, r => r.Wrk.P99Ms);
                var cpu = Median(proxy, r => r.CpuMicrosPerRequest);
                rows.Add(new Row(group, proxy, rps, Ratio(rps, nginxRps), Median(proxy, r => r.Wrk.P50Ms), p99, Ratio(p99, nginxP99), cpu, Ratio(cpu, nginxCpu), Median(proxy, r => r.ResidentMiB)));
            }
        }

        return rows;
    }

    public static string Markdown(IReadOnlyList<Row> rows)
    {
        var table = new StringBuilder();
        table.AppendLine("| load/wrk threads | proxy | requests/s | vs nginx | p50 ms | p99 ms | p99 vs nginx | CPU µs per request | CPU vs nginx | RSS MiB |");
        table.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var group in rows.Select(r => r.Group).Distinct())
        {
            foreach (var proxy in ProxyLineup.Names)
            {
                // A proxy left out of a load (HAProxy of the HTTPS one): a row of dashes keeps the groups of three.
                table.AppendLine(rows.FirstOrDefault(r => r.Group == group && r.Proxy == proxy) is { } row
                    ? Invariant.Format($"| {group} | {proxy} | {row.RequestsPerSecond:0} | {row.RpsVsNginx:0.00}× | {row.P50Ms:0.000} | {row.P99Ms:0.000} | {row.P99VsNginx:0.00}× | {row.CpuMicros:0.0} | {row.CpuVsNginx:0.00}× | {row.ResidentMiB:0.0} |")
                    : $"| {group} | {proxy} | – | – | – | – | – | – | – | – |");
            }
        }

        return table.ToString();
    }

    /// <summary>Grouped bars of requests/s relative to nginx per load (so 1 MiB loads read as well as small ones), each labelled with its ratio.</summary>
    public static string Chart(IReadOnlyList<Row> rows)
    {
        var groups = rows.Select(r => r.Group).Distinct().ToList();
        var ticks = SvgChart.NiceTicks(Math.Max(1.2, rows.Max(r => r.RpsVsNginx) * 1.15));
        var max = ticks[^1];
        var chart = new SvgChart("Requests per second relative to nginx (medians; the figures are in compare.md)", 0, groups.Count, 0, max, "load / wrk threads", "× nginx's requests/s");
        const double BarWidth = 0.26;
        for (var g = 0; g < groups.Count; g++)
        {
            var names = ProxyLineup.Names;
            for (var p = 0; p < names.Length; p++)
            {
                if (rows.FirstOrDefault(r => r.Group == groups[g] && r.Proxy == names[p]) is not { } row)
                {
                    continue;
                }

                var x = g + 0.1 + (p * BarWidth);
                chart.Bar(x, BarWidth * 0.9, row.RpsVsNginx, s_colors[row.Proxy], Invariant.Format($"{row.Proxy}, {row.Group}: {row.RequestsPerSecond:0} req/s, {row.RpsVsNginx:0.00}× nginx"));
                chart.ValueLabel(x + (BarWidth * 0.45), row.RpsVsNginx, Invariant.Format($"{row.RpsVsNginx:0.00}"));
            }
        }

        foreach (var name in ProxyLineup.Names)
        {
            chart.Legend(name, s_colors[name]);
        }

        chart.HorizontalMarker(1, "nginx = 1");
        return chart.Render(
            groups.Select((group, i) => (i + 0.5, Short(group))),
            ticks.Select(v => (v, Invariant.Format($"{v:0.##}"))));
    }

    /// <summary>small-c50/t1 → c50 t1: eight groups share 550 pixels.</summary>
    private static string Short(string group) => group.Replace("small-", "", StringComparison.Ordinal).Replace("1mib-c50", "1MiB", StringComparison.Ordinal)
        .Replace("https-c50", "TLS", StringComparison.Ordinal).Replace('/', ' ');

    private static double Ratio(double value, double nginx) => nginx > 0 ? value / nginx : 0;
}
