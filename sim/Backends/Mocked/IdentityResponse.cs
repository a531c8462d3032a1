using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using RoundRobinLab.Backends.Fleet;
using WireMock;
using WireMock.Types;
using WireMock.Util;

namespace RoundRobinLab.Backends.Mocked;

/// <summary>The body every fake backend answers with: who answered, and what it received.</summary>
public sealed record Identity(
    string Id,
    int Status,
    string Method,
    string Path,
    Dictionary<string, string[]> Headers,
    long BodyLength,
    string BodySha256);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Identity))]
public sealed partial class IdentityJsonContext : JsonSerializerContext;

/// <summary>WireMock's response callback: the identity JSON, or an error at the profile's rate.</summary>
internal static class IdentityResponse
{
    public static IResponseMessage Create(FakeBackend backend, IRequestMessage request)
    {
        var profile = backend.Profile;
        var status = profile.ErrorRate > 0 && Random.Shared.NextDouble() < profile.ErrorRate ? profile.ErrorStatus : 200;
        var body = request.BodyAsBytes ?? (request.Body is { } text ? Encoding.UTF8.GetBytes(text) : []);
        var headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        if (request.Headers is not null)
        {
            foreach (var (name, values) in request.Headers)
            {
                headers[name] = [.. values];
            }
        }

        var identity = new Identity(backend.Id, status, request.Method, request.Path + (request.RawQuery is { Length: > 0 } q ? q : ""),
            headers, body.LongLength, Convert.ToHexStringLower(SHA256.HashData(body)));
        return new ResponseMessage
        {
            StatusCode = status,
            Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
            BodyData = new BodyData
            {
                DetectedBodyType = BodyType.String,
                BodyAsString = JsonSerializer.Serialize(identity, IdentityJsonContext.Default.Identity),
                Encoding = Encoding.UTF8,
            },
        };
    }
}
