using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using RoundRobinLab.Proxy.Configuration;

namespace RoundRobinLab.Proxy.Hosting;

/// <summary>Where the https:// listeners' certificate and private key are (PEM files, as certbot writes them).</summary>
internal sealed record TlsFiles(string CertificatePath, string KeyPath)
{
    /// <summary>Reads the pair; throws <see cref="SettingsException"/> naming both settings and the reason.</summary>
    public X509Certificate2 Load()
    {
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(CertificatePath, KeyPath);
            if (!pem.HasPrivateKey)
            {
                throw new SettingsException($"--tls-key (Proxy:TlsKey): {KeyPath} holds no private key for {CertificatePath}.");
            }

            // Exported and imported once more: on Linux a key from PEM is ephemeral, which
            // SslStream accepts, but the round trip gives one object that owns both halves.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new SettingsException($"--tls-cert/--tls-key (Proxy:TlsCert/Proxy:TlsKey): cannot use {CertificatePath} with {KeyPath}: {e.Message}");
        }
    }
}
