/// The Cloudflare Authenticated Origin Pulls CA, the `cloudflare` trust source.
///
/// The certificate itself ships as `certs/cloudflare-origin-pull-ca-2019.pem`; this
/// pin is what makes that file trustworthy: a file at that path whose SHA-256
/// fingerprint differs is refused at startup, so a swapped or corrupted file can
/// never widen who is trusted. The older CA under `certs/historical/` in Cloudflare's
/// docs expired and is deliberately not accepted.
public enum CloudflareOriginPull {
    /// SHA-256 over the DER certificate, lower-case hex without separators.
    public static let caSHA256 = "9a1ac2b4be15f9f27eee20a734cba4e9898f61001b3bd7c84b69b56a3e25a2b9"
    /// File name under the certs directory.
    public static let caFileName = "cloudflare-origin-pull-ca-2019.pem"
    /// The CA's notAfter, for documentation and start-up warnings (2029-11-01 17:00:00 UTC).
    public static let caNotAfterUnix: Int64 = 1_888_246_800
}
