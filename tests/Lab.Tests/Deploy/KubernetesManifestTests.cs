using RoundRobinLab.Harness;
using RoundRobinLab.Lab.Cli;
using YamlDotNet.RepresentationModel;

namespace RoundRobinLab.Lab.Tests.Deploy;

/// <summary>
/// deploy/kubernetes cannot run here (no cluster): its shape is checked instead, and every
/// command a pod runs is parsed by the lab's own command line, so the Job runs exactly what the
/// local `--agents` run exercises.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly List<YamlMappingNode> s_documents = Load();

    private static List<YamlMappingNode> Load()
    {
        var documents = new List<YamlMappingNode>();
        foreach (var file in Directory.GetFiles(Path.Combine(LabPaths.RepositoryRoot, "deploy", "kubernetes"), "*.yaml").Order(StringComparer.Ordinal))
        {
            var stream = new YamlStream();
            using var reader = new StreamReader(file);
            stream.Load(reader);
            documents.AddRange(stream.Documents.Select(d => (YamlMappingNode)d.RootNode));
        }

        return documents;
    }

    private static YamlNode At(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            node = node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var child)
                ? child
                : throw new ShouldAssertException($"no '{key}' in {string.Join(".", path)}");
        }

        return node;
    }

    private static string Text(YamlNode node, params string[] path) => ((YamlScalarNode)At(node, path)).Value!;

    private static YamlMappingNode Named(string kind, string name) =>
        s_documents.Single(d => Text(d, "kind") == kind && Text(d, "metadata", "name") == name);

    private static YamlMappingNode Container(YamlMappingNode workload) =>
        (YamlMappingNode)((YamlSequenceNode)At(workload, "spec", "template", "spec", "containers")).Children.Single();

    private static string[] Args(YamlMappingNode container) => [.. ((YamlSequenceNode)At(container, "args")).Children.Select(a => ((YamlScalarNode)a).Value!)];

    [Fact]
    public void EveryDocument_HasAnApiVersionAKindAndAName()
    {
        s_documents.Count.ShouldBeGreaterThanOrEqualTo(7);
        s_documents.ShouldAllBe(d => Text(d, "apiVersion").Length > 0 && Text(d, "kind").Length > 0 && Text(d, "metadata", "name").Length > 0);
    }

    [Theory]
    [InlineData("lab-backends")]
    [InlineData("rrproxy")]
    public void Deployment_SelectsItsPodTemplate_AndItsServiceSelectsTheSamePods(string name)
    {
        var deployment = Named("Deployment", name);
        var selector = (YamlMappingNode)At(deployment, "spec", "selector", "matchLabels");
        var labels = (YamlMappingNode)At(deployment, "spec", "template", "metadata", "labels");
        var service = (YamlMappingNode)At(Named("Service", name), "spec", "selector");

        selector.Children.ShouldAllBe(label => labels.Children.Contains(label));
        service.Children.ShouldAllBe(label => labels.Children.Contains(label));
        var containerPorts = ((YamlSequenceNode)At(Container(deployment), "ports")).Children.Select(p => Text(p, "containerPort"));
        ((YamlSequenceNode)At(Named("Service", name), "spec", "ports")).Children.Select(p => Text(p, "targetPort")).ShouldBeSubsetOf(containerPorts);
    }

    [Fact]
    public void Proxy_PointsAtTheBackendsService_OnThePortsItServes()
    {
        var args = Args(Container(Named("Deployment", "rrproxy")));
        var backends = args[Array.IndexOf(args, "--backends") + 1].Split(',').Select(u => new Uri(u)).ToList();

        backends.ShouldAllBe(u => u.Host == "lab-backends");
        var served = ((YamlSequenceNode)At(Named("Service", "lab-backends"), "spec", "ports")).Children.Select(p => int.Parse(Text(p, "port"), System.Globalization.CultureInfo.InvariantCulture));
        backends.Select(u => u.Port).ShouldBeSubsetOf(served);
        Text(Container(Named("Deployment", "rrproxy")), "readinessProbe", "httpGet", "path").ShouldBe("/healthz");
    }

    [Fact]
    public void Fleet_RunsALabCommandThatParses()
    {
        var args = Args(Container(Named("Deployment", "lab-backends")));

        args[0].ShouldBe("backends");
        LabCommand.ParseErrors(args).ShouldBeEmpty();
    }

    [Fact]
    public void AgentsJob_IsIndexed_OnePodPerAgent_EachRunningTheLocalAgentsCommand()
    {
        var job = Named("Job", "lab-agents");
        Text(job, "spec", "completionMode").ShouldBe("Indexed");
        var completions = int.Parse(Text(job, "spec", "completions"), System.Globalization.CultureInfo.InvariantCulture);
        Text(job, "spec", "parallelism").ShouldBe(completions.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var container = Container(job);
        var startAt = Text(((YamlSequenceNode)At(container, "env")).Children.Single(e => Text(e, "name") == "START_AT"), "value");

        for (var index = 0; index < completions; index++)
        {
            // As the kubelet expands $(VAR) from the pod's environment.
            var args = Args(container).Select(a => a.Replace("$(JOB_COMPLETION_INDEX)", $"{index}", StringComparison.Ordinal).Replace("$(START_AT)", startAt, StringComparison.Ordinal)).ToArray();

            LabCommand.ParseErrors(args).ShouldBeEmpty();
            args[..2].ShouldBe(["scenario", "steady"]);
            args[Array.IndexOf(args, "--agents") + 1].ShouldBe($"{completions}");
            args[Array.IndexOf(args, "--agent-index") + 1].ShouldBe($"{index}");
            args[Array.IndexOf(args, "--report-dir") + 1].ShouldBe($"/results/agent-{index}");
            new Uri(args[Array.IndexOf(args, "--target") + 1]).Host.ShouldBe("rrproxy");
        }
    }

    [Fact]
    public void MergeJob_MergesEveryAgentsDirectory_FromTheSameVolume()
    {
        var agents = Named("Job", "lab-agents");
        var merge = Named("Job", "lab-merge");
        var completions = int.Parse(Text(agents, "spec", "completions"), System.Globalization.CultureInfo.InvariantCulture);
        var args = Args(Container(merge));

        LabCommand.ParseErrors(args).ShouldBeEmpty();
        args[0].ShouldBe("merge");
        args.Skip(1).TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ShouldBe(Enumerable.Range(0, completions).Select(i => $"/results/agent-{i}"));
        var claim = Text(Named("PersistentVolumeClaim", "lab-results"), "metadata", "name");
        foreach (var job in new[] { agents, merge })
        {
            Text(((YamlSequenceNode)At(job, "spec", "template", "spec", "volumes")).Children.Single(), "persistentVolumeClaim", "claimName").ShouldBe(claim);
        }
    }
}
