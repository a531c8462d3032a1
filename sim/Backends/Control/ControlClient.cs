using System.Text;

namespace RoundRobinLab.Backends.Control;

/// <summary>`lab backends ctl ...`: the control API from the command line.</summary>
internal static class ControlClient
{
    public const string Usage = "status | down ID | up ID | profile ID FILE-OR-JSON | toxics ID | toxic ID add FILE-OR-JSON | toxic ID remove NAME | toxic ID clear";

    public static async Task<int> RunAsync(IReadOnlyList<string> command, string control)
    {
        using var client = new HttpClient { BaseAddress = new Uri(control), Timeout = TimeSpan.FromSeconds(30) };
        using var request = command switch
        {
            ["status"] => new HttpRequestMessage(HttpMethod.Get, "/backends"),
            ["down", var id] => new HttpRequestMessage(HttpMethod.Post, $"/backends/{Uri.EscapeDataString(id)}/down"),
            ["up", var id] => new HttpRequestMessage(HttpMethod.Post, $"/backends/{Uri.EscapeDataString(id)}/up"),
            ["profile", var id, var file] => new HttpRequestMessage(HttpMethod.Put, $"/backends/{Uri.EscapeDataString(id)}/profile")
            {
                Content = await JsonContentAsync(file),
            },
            ["toxics", var id] => new HttpRequestMessage(HttpMethod.Get, $"/backends/{Uri.EscapeDataString(id)}/toxics"),
            ["toxic", var id, "add", var file] => new HttpRequestMessage(HttpMethod.Post, $"/backends/{Uri.EscapeDataString(id)}/toxics")
            {
                Content = await JsonContentAsync(file),
            },
            ["toxic", var id, "remove", var name] => new HttpRequestMessage(HttpMethod.Delete, $"/backends/{Uri.EscapeDataString(id)}/toxics/{Uri.EscapeDataString(name)}"),
            ["toxic", var id, "clear"] => new HttpRequestMessage(HttpMethod.Delete, $"/backends/{Uri.EscapeDataString(id)}/toxics"),
            _ => throw new ArgumentException($"ctl takes: {Usage}"),
        };

        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request);
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"lab: no fleet answers at {control} ({e.Message}); start one, or pass --control URL.");
            return 1;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            (response.IsSuccessStatusCode ? Console.Out : Console.Error).WriteLine(text.TrimEnd());
            return response.IsSuccessStatusCode ? 0 : 1;
        }
    }

    /// <summary>The body: the file's text when <paramref name="fileOrJson"/> names a file, else the argument itself.</summary>
    private static async Task<StringContent> JsonContentAsync(string fileOrJson) =>
        new(File.Exists(fileOrJson) ? await File.ReadAllTextAsync(fileOrJson) : fileOrJson, Encoding.UTF8, "application/json");
}
