import Testing
import PullGuardTestSupport
@testable import PullGuardCore
@testable import PullGuardOpenSSL

/// Error-queue entries are values: library, reason and alert survive next to the text,
/// and code decides on them, never on the words.
@Suite struct OpenSSLErrorEntryTests {
    @Test func entryKeepsReasonAndFormatsLikeOpenSSL() {
        let entry = OpenSSLErrorEntry(.certificateVerifyFailed, data: "x")
        #expect(entry.reason == .certificateVerifyFailed)
        #expect(entry.alert == nil)
        #expect(entry.reasonText == "certificate verify failed")
        #expect(entry.text == "error:0A000086:SSL routines::certificate verify failed (x)")
    }

    @Test func receivedAlertIsAValue() {
        let entry = OpenSSLErrorEntry(.alertReceived(.certificateRequired))
        #expect(entry.alert == .certificateRequired)
        #expect(entry.reasonText == "tlsv13 alert certificate required")
        let error = OpenSSLError(operation: "client TLS", entries: [OpenSSLErrorEntry(.certificateVerifyFailed), entry])
        #expect(error.receivedAlert == .certificateRequired)
        #expect(error.contains(.certificateVerifyFailed))
        #expect(!error.contains(.noSharedCipher))
        #expect(OpenSSLError(operation: "x", entries: [OpenSSLErrorEntry(.certificateVerifyFailed)]).receivedAlert == nil)
    }

    @Test func descriptionJoinsTheQueueAfterTheOperation() {
        #expect(OpenSSLError(operation: "reading").description == "reading")
        let error = OpenSSLError(operation: "TLS handshake", entries: [OpenSSLErrorEntry(.noSharedCipher), OpenSSLErrorEntry(.unsupportedProtocol)])
        #expect(error.description == "TLS handshake: error:0A0000C1:SSL routines::no shared cipher; error:0A000102:SSL routines::unsupported protocol")
    }

    /// Adding an anchor the store already holds is tolerated by reason code
    /// (`certificateAlreadyInHashTable`) or by OpenSSL itself; either way not an error.
    @Test func sameAnchorInTwoSourcesIsAccepted() throws {
        let pki = try TestPKI()
        let root = PEMSource(label: "root.pem", text: pki.root.certificatePEM)
        let store = try X509TrustStore(trustSources: [TrustSource(name: "old", bundle: root), TrustSource(name: "new", bundle: root)], crls: [])
        #expect(store.anchors.count == 2)
    }

    /// `pullguard-bench` blames `--groups` by this type, not by the words of the error.
    @Test func unknownGroupsAreTheirOwnError() throws {
        var settings = TLSClientSettings()
        settings.groups = "no-such-group"
        #expect(throws: UnknownGroupsError.self) { try OpenSSLClientContext(settings: settings) }
        settings.groups = "X25519"
        _ = try OpenSSLClientContext(settings: settings)
    }
}
