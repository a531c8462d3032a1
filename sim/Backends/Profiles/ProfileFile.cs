using System.Text.Json;
using System.Text.Json.Serialization;

namespace RoundRobinLab.Backends.Profiles;

/// <summary>
/// The --profile file: a default profile and per-backend overrides by id ("b1", "b2", ...).
/// <code>
/// { "default": { "latency": { "type": "fixed", "ms": 2 } },
///   "backends": { "b2": { "latency": { "type": "logNormal", "medianMs": 40, "sigma": 0.6 }, "errorRate": 0.05, "errorStatus": 503 } } }
/// </code>
/// </summary>
public sealed record ProfileFile
{
    public BackendProfile? Default { get; init; }

    // `set`, not `init`: generated JSON code would set a missing "backends" to null.
    public Dictionary<string, BackendProfile> Backends { get; set; } = [];

    public BackendProfile For(string id) => Backends.TryGetValue(id, out var profile) ? profile : Default ?? BackendProfile.Healthy;

    public static ProfileFile Load(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--profile {path}: {e.Message}", e);
        }

        return Parse(json, $"--profile {path}");
    }

    /// <summary>A profile file's JSON, validated; <paramref name="where"/> starts every error message (e.g. a scenario file's setup.profiles).</summary>
    public static ProfileFile Parse(string json, string where)
    {
        ProfileFile? file;
        try
        {
            file = JsonSerializer.Deserialize(json, ProfileJsonContext.Default.ProfileFile);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{where}: {e.Message}", e);
        }

        file ??= new ProfileFile();
        if (file.Default is not null)
        {
            ProfileValidation.Validate(file.Default, $"{where}: default");
        }

        foreach (var (id, profile) in file.Backends)
        {
            ProfileValidation.Validate(profile, $"{where}: backends.{id}");
        }

        return file;
    }
}

/// <summary>Source-generated JSON for profiles: camelCase, enums as strings, comments allowed.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true,
    UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault, WriteIndented = true)]
[JsonSerializable(typeof(ProfileFile))]
[JsonSerializable(typeof(BackendProfile))]
internal sealed partial class ProfileJsonContext : JsonSerializerContext;
