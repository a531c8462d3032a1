using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RoundRobinLab.Harness;

/// <summary>A certificate for localhost made for one run, as PEM files, as `openssl req -x509` would make.</summary>
public sealed record SelfSignedCertificate(string CertificatePath, string KeyPath, string Thumbprint)
{
    /// <summary>Writes tls.crt and tls.key into <paramref name="directory"/>; the thumbprint is for a client to pin.</summary>
    public static SelfSignedCertificate Write(string directory)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certificatePath = Path.Combine(directory, "tls.crt");
        var keyPath = Path.Combine(directory, "tls.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return new SelfSignedCertificate(certificatePath, keyPath, certificate.Thumbprint);
    }
}
