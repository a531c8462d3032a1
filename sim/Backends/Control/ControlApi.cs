using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RoundRobinLab.Backends.Fleet;
using RoundRobinLab.Backends.Profiles;

namespace RoundRobinLab.Backends.Control;

/// <summary>One backend as the control API shows it; up and received always written (false and 0 are answers, not defaults to leave out).</summary>
public sealed record BackendStatus(
    string Id,
    string Url,
    string Mode,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] bool Up,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long Received,
    BackendProfile Profile);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault, WriteIndented = true)]
[JsonSerializable(typeof(BackendStatus[]))]
[JsonSerializable(typeof(BackendProfile))]
public sealed partial class ControlJsonContext : JsonSerializerContext;

/// <summary>
/// The fleet's control API, so a running fleet can be changed from another terminal or a script:
/// take a backend down, bring it back, give it a new profile.
/// </summary>
public static class ControlApi
{
    public static IEndpointRouteBuilder MapFleetControl(this IEndpointRouteBuilder endpoints, BackendFleet fleet)
    {
        endpoints.MapGet("/backends", () => Results.Json(Status(fleet), ControlJsonContext.Default.BackendStatusArray));
        endpoints.MapPost("/backends/{id}/down", (string id) => Change(fleet, id, b => b.DownAsync()));
        endpoints.MapPost("/backends/{id}/up", (string id) => Change(fleet, id, b => b.UpAsync()));
        endpoints.MapPut("/backends/{id}/profile", async (string id, HttpRequest request) =>
        {
            BackendProfile? profile;
            try
            {
                profile = await JsonSerializer.DeserializeAsync(request.Body, ControlJsonContext.Default.BackendProfile);
            }
            catch (JsonException e)
            {
                return Results.Text($"the profile is not valid JSON: {e.Message}\n", statusCode: StatusCodes.Status400BadRequest);
            }

            return await Change(fleet, id, b =>
            {
                b.Profile = profile ?? BackendProfile.Healthy;
                return Task.CompletedTask;
            });
        });
        return endpoints;
    }

    public static BackendStatus[] Status(BackendFleet fleet) =>
        [.. fleet.Backends.Select(b => new BackendStatus(b.Id, b.Url.ToString().TrimEnd('/'), b.Mode.ToString(), b.IsUp, b.Received, b.Profile))];

    private static async Task<IResult> Change(BackendFleet fleet, string id, Func<FakeBackend, Task> change)
    {
        var backend = fleet.Backends.FirstOrDefault(b => b.Id == id);
        if (backend is null)
        {
            return Results.Text($"no backend '{id}'; the fleet has {string.Join(", ", fleet.Backends.Select(b => b.Id))}\n", statusCode: StatusCodes.Status404NotFound);
        }

        try
        {
            await change(backend);
        }
        catch (ArgumentException e)
        {
            return Results.Text(e.Message + "\n", statusCode: StatusCodes.Status400BadRequest);
        }

        return Results.Json(Status(fleet), ControlJsonContext.Default.BackendStatusArray);
    }
}
