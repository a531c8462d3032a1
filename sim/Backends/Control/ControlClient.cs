using System.Text;

namespace RoundRobinLab.Backends.Control;

/// <summary>`lab backends ctl ...`: the control API from the command line.</summary>
internal static class ControlClient
{
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
                Content = new StringContent(File.Exists(file) ? await File.ReadAllTextAsync(file) : file, Encoding.UTF8, "application/json"),
            },
            _ => throw new ArgumentException("ctl takes: status | down ID | up ID | profile ID FILE-OR-JSON"),
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
}
