import Foundation
import PullGuardOpenSSL
import PullGuardCore

/// A private CA kept in one state folder, for people without a PKI of their own.
///
/// `pullguard pki init` creates the CA, `pullguard pki issue-client NAME`
/// issues a client certificate to upload to Cloudflare (Authenticated Origin
/// Pulls), and `pullguard demo` calls `ensureDemo()` to get a CA, a localhost
/// server certificate and a demo client in one go. Layout:
///
///     DIR/ca.pem  DIR/ca.key              the CA (key 0600)
///     DIR/server.pem  DIR/server.key      the origin's server certificate
///     DIR/clients/NAME.pem  NAME.key      client certificates
///
/// The folder is created 0700 and every key 0600; all files are written
/// atomically. This type only deals with files and profiles: the X.509 work is
/// `CertificateIssuer`'s.
public struct PrivatePKI: Sendable {
    public let directory: URL

    /// The CA lives for ten years: replacing it means re-uploading every client
    /// certificate to Cloudflare, so it should rarely happen.
    static let caValidityDays = 3650
    static let serverValidityDays = 365
    /// Clock skew allowance: certificates are valid from an hour ago, so a
    /// peer whose clock is slightly behind does not see "not yet valid".
    static let backdating: TimeInterval = 3600

    public init(directory: URL) {
        self.directory = directory
    }

    public var caCertificateURL: URL { directory.appendingPathComponent("ca.pem") }
    public var caPrivateKeyURL: URL { directory.appendingPathComponent("ca.key") }
    public var serverCertificateURL: URL { directory.appendingPathComponent("server.pem") }
    public var serverPrivateKeyURL: URL { directory.appendingPathComponent("server.key") }
    public var clientsDirectory: URL { directory.appendingPathComponent("clients", isDirectory: true) }

    public func clientCertificateURL(name: String) -> URL { clientsDirectory.appendingPathComponent("\(name).pem") }
    public func clientPrivateKeyURL(name: String) -> URL { clientsDirectory.appendingPathComponent("\(name).key") }

    /// Creates the CA. Refuses when either CA file already exists, unless
    /// `overwrite` is set, because replacing the CA invalidates every
    /// certificate it issued.
    @discardableResult
    public func initialize(commonName: String = "PullGuard Private CA", overwrite: Bool = false) throws -> PrivatePKIPaths {
        if !overwrite {
            for file in [caCertificateURL, caPrivateKeyURL] where Self.exists(file) {
                throw PrivatePKIError.caAlreadyExists(file)
            }
        }
        try Self.ensureDirectory(directory)
        let now = Date()
        // pathlen 0: this CA signs only leaves, never another CA.
        let ca = try CertificateIssuer.issue(
            CertificateProfile(
                commonName: commonName, organization: "PullGuard", isCA: true, pathLength: 0,
                notBefore: now.addingTimeInterval(-Self.backdating),
                notAfter: now.addingTimeInterval(TimeInterval(Self.caValidityDays) * 86400)
            ),
            signedBy: nil
        )
        // Key first: a ca.pem without its key would make the next run think a CA exists.
        try Self.writeAtomically(ca.privateKeyPEM, to: caPrivateKeyURL, mode: Self.privateFileMode)
        try Self.writeAtomically(ca.certificatePEM, to: caCertificateURL, mode: Self.publicFileMode)
        return PrivatePKIPaths(directory: directory, caCertificate: caCertificateURL, caPrivateKey: caPrivateKeyURL)
    }

    /// Issues (or re-issues) the origin's server certificate with serverAuth and
    /// DNS names `names` plus `localhost`. The first name becomes the CN.
    @discardableResult
    public func issueServer(names: [String]) throws -> (cert: URL, key: URL) {
        for name in names where !Self.isValidServerName(name) {
            throw PrivatePKIError.invalidServerName(name)
        }
        var dnsNames: [String] = []
        for name in names + ["localhost"] where !dnsNames.contains(name.lowercased()) {
            dnsNames.append(name.lowercased())
        }
        let profile = Self.leafProfile(
            commonName: dnsNames[0], usage: .serverAuth, dnsNames: dnsNames, days: Self.serverValidityDays
        )
        try issueLeaf(profile, certificate: serverCertificateURL, key: serverPrivateKeyURL)
        return (serverCertificateURL, serverPrivateKeyURL)
    }

    /// Issues a client certificate with clientAuth and CN=`name`, valid for
    /// `days`. Issuing the same name again replaces it (rotation); the old
    /// certificate stays valid until it expires, as nothing here revokes it.
    @discardableResult
    public func issueClient(name: String, days: Int = 365) throws -> (cert: URL, key: URL) {
        guard Self.isValidClientName(name) else { throw PrivatePKIError.invalidClientName(name) }
        guard (1...3650).contains(days) else { throw PrivatePKIError.invalidValidity(days: days) }
        let profile = Self.leafProfile(commonName: name, usage: .clientAuth, dnsNames: [], days: days)
        let urls = (cert: clientCertificateURL(name: name), key: clientPrivateKeyURL(name: name))
        try issueLeaf(profile, certificate: urls.cert, key: urls.key, directory: clientsDirectory)
        return urls
    }

    /// What `pullguard demo` needs: a CA, a localhost server certificate and a
    /// "demo-client" client certificate. Files that already exist are reused
    /// as they are (not checked for expiry), so repeated demo runs keep the
    /// same CA and client.
    public func ensureDemo() throws -> DemoPKIPaths {
        // A fresh CA makes any leftover server or client certificate useless,
        // so those are re-issued with it. Half a CA (one file missing) is
        // reported rather than silently replaced.
        let createdCA = !Self.exists(caCertificateURL) && !Self.exists(caPrivateKeyURL)
        if createdCA {
            try initialize()
        }
        if createdCA || !Self.exists(serverCertificateURL) || !Self.exists(serverPrivateKeyURL) {
            try issueServer(names: ["localhost"])
        }
        let client = DemoPKIPaths.clientName
        if createdCA || !Self.exists(clientCertificateURL(name: client)) || !Self.exists(clientPrivateKeyURL(name: client)) {
            try issueClient(name: client)
        }
        return DemoPKIPaths(
            directory: directory, caCertificate: caCertificateURL, caPrivateKey: caPrivateKeyURL,
            serverCertificate: serverCertificateURL, serverPrivateKey: serverPrivateKeyURL,
            clientCertificate: clientCertificateURL(name: client), clientPrivateKey: clientPrivateKeyURL(name: client)
        )
    }

    /// Reads the CA back from disk as the issuer for new certificates.
    public func loadCA() throws -> IssuedCertificate {
        for file in [caCertificateURL, caPrivateKeyURL] where !Self.exists(file) {
            throw PrivatePKIError.caMissing(file)
        }
        let certificatePEM = try Self.readText(caCertificateURL)
        return IssuedCertificate(
            certificatePEM: certificatePEM,
            privateKeyPEM: try Self.readText(caPrivateKeyURL),
            serialHex: try CertificateIssuer.serialHex(ofCertificatePEM: certificatePEM)
        )
    }

    private func issueLeaf(_ profile: CertificateProfile, certificate: URL, key: URL, directory: URL? = nil) throws {
        let ca = try loadCA()
        let issued = try CertificateIssuer.issue(profile, signedBy: ca)
        if let directory { try Self.ensureDirectory(directory) }
        try Self.writeAtomically(issued.privateKeyPEM, to: key, mode: Self.privateFileMode)
        try Self.writeAtomically(issued.certificatePEM, to: certificate, mode: Self.publicFileMode)
    }

    private static func leafProfile(commonName: String, usage: ExtendedKeyUsage, dnsNames: [String], days: Int) -> CertificateProfile {
        let now = Date()
        return CertificateProfile(
            commonName: commonName, extendedKeyUsage: [usage], dnsNames: dnsNames,
            notBefore: now.addingTimeInterval(-backdating), notAfter: now.addingTimeInterval(TimeInterval(days) * 86400)
        )
    }

    /// Client names become file names and the CN, so only a safe set is
    /// allowed: no path separators, no "." or ".." (which would escape
    /// `clients/`), and at most 64 characters (the X.520 commonName limit).
    static func isValidClientName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count), name != ".", name != ".." else { return false }
        return name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    /// DNS names (optionally a leading wildcard label); checked here so a typo
    /// is reported as a bad name rather than an OpenSSL encoding error.
    static func isValidServerName(_ name: String) -> Bool {
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...253).contains(name.utf8.count), !labels.isEmpty else { return false }
        for (index, label) in labels.enumerated() {
            if index == 0 && label == "*" && labels.count > 1 { continue }
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-" else { return false }
            guard label.utf8.allSatisfy({ byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "-")
            }) else { return false }
        }
        return true
    }
}

/// Where `PrivatePKI.initialize` put the CA.
public struct PrivatePKIPaths: Sendable, Hashable {
    public var directory: URL
    public var caCertificate: URL
    public var caPrivateKey: URL
}

/// Where `PrivatePKI.ensureDemo` put the demo PKI.
public struct DemoPKIPaths: Sendable, Hashable {
    /// The CN and file name of the demo client certificate.
    public static let clientName = "demo-client"

    public var directory: URL
    public var caCertificate: URL
    public var caPrivateKey: URL
    public var serverCertificate: URL
    public var serverPrivateKey: URL
    public var clientCertificate: URL
    public var clientPrivateKey: URL
}
