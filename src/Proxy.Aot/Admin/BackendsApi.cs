using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RoundRobinLab.Proxy.Balancing;
using RoundRobinLab.Proxy.Configuration;

namespace RoundRobinLab.Proxy.Admin;

/// <summary>
/// The backend set at runtime: GET /backends shows it, PUT /backends replaces it, POST
/// /backends/drain and /backends/undrain take one out of rotation and back. JSON both ways,
/// source-generated. A change that cannot be made is a 400 with the reason and changes nothing.
/// </summary>
internal sealed partial class AdminEndpoints
{
    private const string ExpectedBody = "{\"backends\": [{\"url\": \"http://127.0.0.1:5001\", \"weight\": 1}]}";

    private Task BackendsAsync(HttpContext context) => WriteJsonAsync(context, View(pool), AdminJsonContext.Default.BackendsResponse);

    private async Task ReplaceAsync(HttpContext context)
    {
        if (Refusal(context) is { } refused)
        {
            await refused;
            return;
        }

        var request = await ReadAsync(context, AdminJsonContext.Default.BackendsRequest, ExpectedBody);
        if (request is null)
        {
            return;
        }

        if (request.Backends is not { Length: > 0 } specs)
        {
            await WriteAsync(context.Response, StatusCodes.Status400BadRequest, Text, $"name at least one backend: {ExpectedBody}\n");
            return;
        }

        var backends = new List<(Uri Address, int Weight)>(specs.Length);
        try
        {
            for (var i = 0; i < specs.Length; i++)
            {
                var setting = $"backends[{i}]";
                var address = BackendAddress.Parse(specs[i]?.Url ?? throw new SettingsException($"{setting}.url is missing: {ExpectedBody}"), $"{setting}.url");
                var weight = BackendAddress.ParseWeight(specs[i]!.Weight?.ToString(System.Globalization.CultureInfo.InvariantCulture), specs[i]!.Url!, $"{setting}.weight");
                if (backends.Exists(b => b.Address == address))
                {
                    throw new SettingsException($"{setting}.url: {address} is listed twice; name each backend once.");
                }

                backends.Add((address, weight));
            }
        }
        catch (SettingsException e)
        {
            await WriteAsync(context.Response, StatusCodes.Status400BadRequest, Text, e.Message + "\n");
            return;
        }

        pool.Replace(backends);
        BackendsReplaced(logger, pool.Describe(), pool.HealthyCount, pool.All.Count);
        await WriteJsonAsync(context, View(pool), AdminJsonContext.Default.BackendsResponse);
    }

    private Task DrainAsync(HttpContext context) => SetDrainedAsync(context, drain: true);

    private Task UndrainAsync(HttpContext context) => SetDrainedAsync(context, drain: false);

    private async Task SetDrainedAsync(HttpContext context, bool drain)
    {
        if (Refusal(context) is { } refused)
        {
            await refused;
            return;
        }

        var request = await ReadAsync(context, AdminJsonContext.Default.DrainRequest, "{\"url\": \"http://127.0.0.1:5001\"}");
        if (request is null)
        {
            return;
        }

        Uri address;
        try
        {
            address = BackendAddress.Parse(request.Url ?? throw new SettingsException("url is missing: {\"url\": \"http://127.0.0.1:5001\"}"), "url");
        }
        catch (SettingsException e)
        {
            await WriteAsync(context.Response, StatusCodes.Status400BadRequest, Text, e.Message + "\n");
            return;
        }

        if (pool.Drain(address, drain) is not { } backend)
        {
            await WriteAsync(context.Response, StatusCodes.Status404NotFound, Text, $"no backend {address.AbsoluteUri.TrimEnd('/')} is configured; GET /backends lists them\n");
            return;
        }

        BackendDrained(logger, backend.Prefix, drain ? "drained" : "undrained", pool.HealthyCount, pool.All.Count);
        await WriteJsonAsync(context, View(backend), AdminJsonContext.Default.BackendView);
    }

    /// <summary>
    /// Null when the caller may change the backends. Changes are refused (403) on an admin
    /// listener reachable from other machines unless --admin-token is set, and need the token
    /// (401 without it) whenever one is set. Reading stays open.
    /// </summary>
    private Task? Refusal(HttpContext context)
    {
        if (access.Token is null)
        {
            return access.Exposed
                ? WriteAsync(context.Response, StatusCodes.Status403Forbidden, Text, "changing the backends needs --admin-token while the admin listener is not on loopback (--admin-urls)\n")
                : null;
        }

        var header = context.Request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        if (header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim()), Encoding.UTF8.GetBytes(access.Token)))
        {
            return null;
        }

        context.Response.Headers.WWWAuthenticate = "Bearer";
        return WriteAsync(context.Response, StatusCodes.Status401Unauthorized, Text, "changing the backends needs 'Authorization: Bearer TOKEN' with the --admin-token\n");
    }

    /// <summary>The body as <typeparamref name="T"/>, or null after answering 400 with the reason.</summary>
    private static async Task<T?> ReadAsync<T>(HttpContext context, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string expected)
        where T : class
    {
        try
        {
            if (await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted) is { } value)
            {
                return value;
            }
        }
        catch (JsonException e)
        {
            await WriteAsync(context.Response, StatusCodes.Status400BadRequest, Text, $"the body is not the JSON expected, {expected}: {e.Message}\n");
            return null;
        }

        await WriteAsync(context.Response, StatusCodes.Status400BadRequest, Text, $"the body is empty or null; expected {expected}\n");
        return null;
    }

    private static Task WriteJsonAsync<T>(HttpContext context, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        return JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted);
    }

    internal static BackendsResponse View(BackendPool pool) => new([.. pool.WithLeaving().Select(View)]);

    private static BackendView View(Backend backend) =>
        new(backend.Prefix, backend.Weight, backend.State, backend.Requests, backend.Failures, backend.InFlight, backend.Ejections);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backends replaced through the admin API: {Backends} ({Healthy}/{Total} in rotation)")]
    private static partial void BackendsReplaced(ILogger logger, string backends, int healthy, int total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backend {Backend} {Change} through the admin API ({Healthy}/{Total} in rotation)")]
    private static partial void BackendDrained(ILogger logger, string backend, string change, int healthy, int total);
}

/// <summary>Who may change the backends: the token, and whether the admin listener is reachable beyond loopback.</summary>
internal sealed record AdminAccess(string? Token, bool Exposed);
