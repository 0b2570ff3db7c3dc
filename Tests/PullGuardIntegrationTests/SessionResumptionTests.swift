import Foundation
import PullGuard
import Testing
import PullGuardTestSupport
@testable import PullGuardOpenSSL

/// Sessions through the real binary with a raw client (Python `ssl`, `session=`): a session
/// admits a client only on the site that verified it, and only while what was verified holds.
/// Each scenario checks what the upstream received, not what PullGuard logged.
@Suite(.serialized) struct SessionResumptionTests {
    static let versions = ["1.2", "1.3"]

    struct Step: Decodable {
        var reused: Bool?
        var status: Int?
        var error: String?
        var body: String?
    }

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/tls_session_client.py").path
    }

    /// Runs the raw client; `steps` as in the script (`sni:host[:resume][:sleep=S]`).
    func run(_ scenario: ProxyScenario, tls: String, cert: String?, _ steps: [String]) throws -> [Step] {
        let certArguments = cert.map { [ProxyScenario.file("\($0).pem"), ProxyScenario.file("\($0).key")] } ?? ["-", "-"]
        let result = try CommandRunner.run("python3", [Self.script, "\(scenario.proxy.port)", ProxyScenario.file("root.pem"), tls]
                                           + certArguments + steps, timeout: 60)
        #expect(result.exitCode == 0, "client failed: \(result.stderr)")
        return try result.stdout.split(separator: "\n").map { try JSONDecoder().decode(Step.self, from: Data($0.utf8)) }
    }

    /// Two sites with their own names; `{A}`/`{B}` are their `client_auth` blocks.
    static func twoSites(a: String, b: String, aNames: String = "[a.test]", bNames: String = "[b.test]",
                         timeouts: String = "") -> String {
        """
        listen: 127.0.0.1:0
        workers: 1
        \(timeouts)
        sites:
          - name: a
            server_names: \(aNames)
            certificates: [{cert: {PKI}/server.pem, key: {PKI}/server.key}]
            upstream: {UPSTREAM}
            client_auth: \(a)
          - name: b
            server_names: \(bNames)
            certificates: [{cert: {PKI}/server.pem, key: {PKI}/server.key}]
            upstream: {UPSTREAM}
            client_auth: \(b)
        """
    }

    static let trustRoot = "{trust: [{PKI}/root.pem]}"
    static let trustOther = "{trust: [{PKI}/other-ca.pem]}"

    @Test(arguments: versions) func requireToRequireWithOtherTrust(tls: String) async throws {
        try await ProxyScenario.withConfig(Self.twoSites(a: Self.trustRoot, b: Self.trustOther)) { scenario in
            let steps = try run(scenario, tls: tls, cert: "client", ["a.test:a.test", "b.test:b.test:resume"])
            #expect(steps.count == 2)
            #expect(steps.first?.status == 200)
            #expect(steps.last?.status == nil, "site b answered a client it never verified: \(String(describing: steps.last))")
            #expect(steps.last?.reused != true)
            // Only the first request reached an upstream.
            #expect(scenario.upstream.requests.map { $0.headers["Host"] } == [["a.test"]])
        }
    }

    @Test(arguments: versions) func optionalWithoutCertificateToRequire(tls: String) async throws {
        let config = Self.twoSites(a: "{mode: optional, trust: [{PKI}/root.pem]}", b: Self.trustRoot)
        try await ProxyScenario.withConfig(config) { scenario in
            let steps = try run(scenario, tls: tls, cert: nil, ["a.test:a.test", "b.test:b.test:resume"])
            #expect(steps.first?.status == 200)
            #expect(scenario.upstream.requests.first?.headers["X-Client-Verify"] == ["NONE"])
            #expect(steps.last?.status == nil)
            #expect(scenario.upstream.requests.count == 1)
        }
    }

    @Test(arguments: versions) func wildcardToExactName(tls: String) async throws {
        let config = Self.twoSites(a: Self.trustRoot, b: Self.trustOther, aNames: "[\"*.example.test\"]", bNames: "[admin.example.test]")
        try await ProxyScenario.withConfig(config) { scenario in
            let steps = try run(scenario, tls: tls, cert: "client",
                                ["x.example.test:x.example.test", "admin.example.test:admin.example.test:resume"])
            #expect(steps.first?.status == 200)
            #expect(steps.last?.status == nil)
            #expect(scenario.upstream.requests.count == 1)
        }
    }

    @Test(arguments: versions) func sameSiteStillResumes(tls: String) async throws {
        try await ProxyScenario.withConfig(Self.twoSites(a: Self.trustRoot, b: Self.trustOther)) { scenario in
            let steps = try run(scenario, tls: tls, cert: "client", ["a.test:a.test", "a.test:a.test:resume"])
            #expect(steps.map(\.status) == [200, 200])
            #expect(steps.last?.reused == true)
            #expect(scenario.upstream.requests.last?.headers["X-Client-Verify"] == ["SUCCESS"])
        }
    }

    /// `session_lifetime` counts from the full handshake: a resumption in between issues a
    /// new ticket (TLS 1.3) but does not extend it.
    @Test(arguments: versions) func lifetimeIsNotRenewedByResumptions(tls: String) async throws {
        let config = Self.twoSites(a: Self.trustRoot, b: Self.trustOther, timeouts: "timeouts: {session_lifetime: 3s}")
        try await ProxyScenario.withConfig(config) { scenario in
            let steps = try run(scenario, tls: tls, cert: "client",
                                ["a.test:a.test", "a.test:a.test:resume:sleep=1.5", "a.test:a.test:resume:sleep=2"])
            #expect(steps.map(\.status) == [200, 200, 200])
            #expect(steps.map(\.reused) == [false, true, false])
        }
    }

    /// A client certificate that expires while its session is still within the lifetime:
    /// the resumption is refused and the full handshake fails on the expired certificate.
    @Test(arguments: versions) func sessionEndsWithTheCertificate(tls: String) async throws {
        var profile = CertificateProfile(commonName: "short-lived", organization: "PullGuard Tests", extendedKeyUsage: [.clientAuth])
        profile.notBefore = Date().addingTimeInterval(-60)
        profile.notAfter = Date().addingTimeInterval(4)
        let issued = try CertificateIssuer.issue(profile, signedBy: ProxyScenario.pki.root)
        let name = "short-lived-\(tls)"
        try Data(issued.certificatePEM.utf8).write(to: URL(fileURLWithPath: ProxyScenario.file("\(name).pem")))
        try Data(issued.privateKeyPEM.utf8).write(to: URL(fileURLWithPath: ProxyScenario.file("\(name).key")))
        try await ProxyScenario.withConfig(Self.twoSites(a: Self.trustRoot, b: Self.trustOther)) { scenario in
            let steps = try run(scenario, tls: tls, cert: name,
                                ["a.test:a.test", "a.test:a.test:resume", "a.test:a.test:resume:sleep=5"])
            #expect(steps.map(\.status) == [200, 200, nil])
            #expect(steps[1].reused == true)
            #expect(scenario.upstream.requests.count == 2)
        }
    }
}
