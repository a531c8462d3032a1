using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RoundRobinLab.Backends.Faults;
using RoundRobinLab.Backends.Fleet;
using RoundRobinLab.Backends.Profiles;

namespace RoundRobinLab.Backends.Control;

/// <summary>
/// One backend as the control API shows it; up and received always written (false and 0 are
/// answers, not defaults to leave out). <c>relay</c>: the relay's address, with network faults on.
/// </summary>
public sealed record BackendStatus(
    string Id,
    string Url,
    string? Relay,
    string Mode,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] bool Up,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long Received,
    BackendProfile Profile);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault, WriteIndented = true)]
[JsonSerializable(typeof(BackendStatus[]))]
[JsonSerializable(typeof(BackendProfile))]
[JsonSerializable(typeof(Toxic))]
[JsonSerializable(typeof(Toxic[]))]
public sealed partial class ControlJsonContext : JsonSerializerContext;

/// <summary>
/// The fleet's control API, so a running fleet can be changed from another terminal or a script:
/// take a backend down, bring it back, give it a new profile, add and remove network faults.
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
        endpoints.MapGet("/backends/{id}/toxics", (string id) => ChangeToxics(fleet, id, _ => { }));
        endpoints.MapPost("/backends/{id}/toxics", async (string id, HttpRequest request) =>
        {
            Toxic? toxic;
            try
            {
                toxic = await JsonSerializer.DeserializeAsync(request.Body, ControlJsonContext.Default.Toxic);
            }
            catch (JsonException e)
            {
                return Results.Text($"the toxic is not valid JSON: {e.Message}\n", statusCode: StatusCodes.Status400BadRequest);
            }

            return toxic is null
                ? Results.Text("the body is null, not a toxic\n", statusCode: StatusCodes.Status400BadRequest)
                : ChangeToxics(fleet, id, b => b.SetToxic(toxic));
        });
        endpoints.MapDelete("/backends/{id}/toxics/{name}", (string id, string name) => ChangeToxics(fleet, id, b =>
        {
            if (!b.RemoveToxic(name))
            {
                var names = b.Toxics.Count == 0 ? "none" : string.Join(", ", b.Toxics.Select(t => t.Name));
                throw new KeyNotFoundException($"{b.Id} has no toxic '{name}'; it has {names}");
            }
        }));
        endpoints.MapDelete("/backends/{id}/toxics", (string id) => ChangeToxics(fleet, id, b => b.ClearToxics()));
        return endpoints;
    }

    public static BackendStatus[] Status(BackendFleet fleet) =>
        [.. fleet.Backends.Select(b => new BackendStatus(b.Id, b.Url.ToString().TrimEnd('/'), b.RelayUrl?.ToString().TrimEnd('/'), b.Mode.ToString(), b.IsUp, b.Received, b.Profile))];

    /// <summary>Applies <paramref name="change"/> to a backend's toxics and answers with them as they then are.</summary>
    private static IResult ChangeToxics(BackendFleet fleet, string id, Action<FakeBackend> change)
    {
        var backend = fleet.Backends.FirstOrDefault(b => b.Id == id);
        if (backend is null)
        {
            return UnknownBackend(fleet, id);
        }

        try
        {
            change(backend);
        }
        catch (ArgumentException e)
        {
            return Results.Text(e.Message + "\n", statusCode: StatusCodes.Status400BadRequest);
        }
        catch (KeyNotFoundException e)
        {
            return Results.Text(e.Message + "\n", statusCode: StatusCodes.Status404NotFound);
        }
        catch (InvalidOperationException e)
        {
            // No relay: the fleet runs without network faults, which only a restart changes.
            return Results.Text(e.Message + "\n", statusCode: StatusCodes.Status409Conflict);
        }

        return Results.Json([.. backend.Toxics], ControlJsonContext.Default.ToxicArray);
    }

    private static IResult UnknownBackend(BackendFleet fleet, string id) =>
        Results.Text($"no backend '{id}'; the fleet has {string.Join(", ", fleet.Backends.Select(b => b.Id))}\n", statusCode: StatusCodes.Status404NotFound);

    private static async Task<IResult> Change(BackendFleet fleet, string id, Func<FakeBackend, Task> change)
    {
        var backend = fleet.Backends.FirstOrDefault(b => b.Id == id);
        if (backend is null)
        {
            return UnknownBackend(fleet, id);
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
