import Foundation
import Testing
import PullGuardTestSupport
@testable import PullGuardOpenSSL
@testable import PullGuardCore

/// A session admits a client only on the site whose policy verified it (issue: cross-site
/// resumption). Each scenario: a full handshake on one site, then the same session offered
/// with another SNI. The second connection must get a full handshake under the second
/// site's policy, for TLS 1.2 and 1.3.
extension TLSServerHandlerTests {
    static let versions = [TLSClientSettings.Version.tls12, .tls13]

    /// Full handshake with `firstName`, then the session offered with `secondName`.
    func resume(on set: ServerContextSet, client settings: TLSClientSettings, firstName: String, secondName: String)
        throws -> (first: InMemoryHandshake.Result, second: InMemoryHandshake.Result) {
        // The sites share one server certificate; what is tested is the client's admission.
        var settings = settings
        settings.verifyServer = false
        let clientContext = try OpenSSLClientContext(settings: settings)
        let first = try InMemoryHandshake.run(contexts: set, clientContext: clientContext, serverName: firstName)
        let session = try #require(first.session, "the first connection left no session to offer")
        let second = try InMemoryHandshake.run(contexts: set, clientContext: clientContext, serverName: secondName, session: session)
        return (first, second)
    }

    @Test(arguments: versions)
    func sessionFromARequireSiteDoesNotResumeOnASiteWithOtherTrust(version: TLSClientSettings.Version) throws {
        let set = try contexts([site(name: "a", names: ["a.test"]),
                                site(name: "b", names: ["b.test"], trust: [pki.otherCA])])
        let (first, second) = try resume(on: set, client: client(pki.client, version: version), firstName: "a.test", secondName: "b.test")
        #expect(first.established?.verification.headerValue == "SUCCESS")
        #expect(second.established == nil, "site b admitted a client its trust never verified")
        #expect(second.clientAlert == "unknown_ca")
        #expect(second.serverReceived.isEmpty)
    }

    @Test(arguments: versions)
    func sessionFromAnOptionalSiteWithoutCertificateDoesNotResumeOnARequireSite(version: TLSClientSettings.Version) throws {
        // Same trust on both sites: only the site, not the trust, separates them.
        let set = try contexts([site(name: "open", names: ["open.test"], policy: ClientAuthPolicy(mode: .optional)),
                                site(name: "strict", names: ["strict.test"])])
        let (first, second) = try resume(on: set, client: client(nil, version: version), firstName: "open.test", secondName: "strict.test")
        #expect(first.established?.verification.headerValue == "NONE")
        #expect(second.established == nil)
        #expect(second.clientAlert == (version == .tls13 ? "certificate_required" : "handshake_failure"))
    }

    @Test(arguments: versions)
    func sessionFromAWildcardSiteDoesNotResumeOnAnExactNameSite(version: TLSClientSettings.Version) throws {
        let set = try contexts([site(name: "w", names: ["*.example.test"]),
                                site(name: "adm", names: ["admin.example.test"], trust: [pki.otherCA])])
        let (first, second) = try resume(on: set, client: client(pki.client, version: version),
                                         firstName: "x.example.test", secondName: "admin.example.test")
        #expect(first.established?.siteName == "w")
        #expect(second.established == nil)
        #expect(second.clientAlert == "unknown_ca")
    }

    @Test(arguments: versions)
    func refusedResumptionIsCountedAndNamed(version: TLSClientSettings.Version) throws {
        // Both sites trust the client: the second connection succeeds, but by a full handshake.
        let set = try contexts([site(name: "a", names: ["a.test"]), site(name: "b", names: ["b.test"])])
        let (_, second) = try resume(on: set, client: client(pki.client, version: version), firstName: "a.test", secondName: "b.test")
        #expect(second.established?.siteName == "b")
        #expect(second.established?.resumed == false)
        #expect(second.established?.sessionRefusal == "other_site")
        #expect(second.metrics[.resumptionRefused] == 1)
    }

    @Test(arguments: versions)
    func sessionResumesOnItsOwnNonDefaultSiteUnderAnotherOfItsNames(version: TLSClientSettings.Version) throws {
        let set = try contexts([site(name: "a", names: ["a.test"]), site(name: "b", names: ["b.test", "b2.test"])])
        let (first, second) = try resume(on: set, client: client(pki.client, version: version), firstName: "b.test", secondName: "b2.test")
        #expect(first.established?.siteName == "b")
        #expect(second.established?.siteName == "b")
        #expect(second.established?.resumed == true)
        #expect(second.established?.verification == first.established?.verification)
    }

    @Test(arguments: versions)
    func changedClientAuthSettingsForceAFullHandshake(version: TLSClientSettings.Version) throws {
        let store = SessionStore(capacity: 16)
        let before = try ServerContextSet(sites: SiteTable([site()]), settings: TLSListenerSettings(), sessions: store)
        let clientContext = try OpenSSLClientContext(settings: client(pki.client, version: version))
        let first = try InMemoryHandshake.run(contexts: before, clientContext: clientContext)
        let session = try #require(first.session)
        // A new generation with one more trust anchor: the settings the session was verified under are gone.
        let changed = try ServerContextSet(
            sites: SiteTable([site(trust: [pki.root, pki.otherCA])]), settings: TLSListenerSettings(), sessions: store)
        let second = try InMemoryHandshake.run(contexts: changed, clientContext: clientContext, session: session)
        #expect(second.established?.resumed == false)
        #expect(second.established?.sessionRefusal == "client_auth_changed")
    }

    @Test(arguments: versions)
    func unchangedClientAuthSettingsKeepSessionsAcrossGenerations(version: TLSClientSettings.Version) throws {
        let store = SessionStore(capacity: 16)
        let before = try ServerContextSet(sites: SiteTable([site()]), settings: TLSListenerSettings(), sessions: store)
        let clientContext = try OpenSSLClientContext(settings: client(pki.client, version: version))
        let session = try #require(try InMemoryHandshake.run(contexts: before, clientContext: clientContext).session)
        // Another server certificate and another name, same client-auth settings.
        let renewed = try ServerContextSet(
            sites: SiteTable([site(names: ["localhost", "c.test"], server: pki.serverRSA)]), settings: TLSListenerSettings(),
            sessions: store)
        let second = try InMemoryHandshake.run(contexts: renewed, clientContext: clientContext, session: session)
        #expect(second.established?.resumed == true)
    }

    @Test func sessionStoreEvictsTheOldestOneAtATime() throws {
        let set = try ServerContextSet(sites: SiteTable([site()]), settings: TLSListenerSettings(),
                                       sessions: SessionStore(capacity: 2))
        let contexts = try (0..<3).map { _ in try OpenSSLClientContext(settings: client(pki.client, version: .tls12)) }
        let sessions = try contexts.map { try #require(try InMemoryHandshake.run(contexts: set, clientContext: $0).session) }
        #expect(set.sessions.count == 2)
        let oldest = try InMemoryHandshake.run(contexts: set, clientContext: contexts[0], session: sessions[0])
        let newest = try InMemoryHandshake.run(contexts: set, clientContext: contexts[2], session: sessions[2])
        #expect(oldest.established?.resumed == false)
        #expect(newest.established?.resumed == true)
    }
}
