import Foundation
import Testing
@testable import PullGuardCore

/// The verdict cache's rules, on values: window, CRL bound, capacity.
@Suite struct VerdictCacheTests {
    let now = Date(timeIntervalSince1970: 2_000_000_000)

    func identity(notBefore: TimeInterval, notAfter: TimeInterval) -> PeerIdentity {
        let facts = CertificateFacts(
            subject: "CN=c", issuer: "CN=r", commonNames: ["c"], serialHex: "01", sha256Fingerprint: "aa", spkiSHA256: "bb",
            dnsNames: [], uris: [], notBefore: now + notBefore, notAfter: now + notAfter, extendedKeyUsage: nil,
            publicKey: PublicKeyFacts(algorithm: .ec, bits: 256), signatureDigest: .sha256, isSelfIssued: false, der: [])
        return PeerIdentity(chain: [facts], trustSource: "ca.pem")
    }

    @Test func hitInsideTheValidityWindow() {
        var cache = VerdictCache()
        cache.store([1], identity: identity(notBefore: -10, notAfter: 10), notAfterLimit: nil)
        #expect(cache.lookup([1], now: now) != nil)
        #expect(cache.lookup([2], now: now) == nil)
    }

    @Test func noHitOnceTheChainExpires() {
        var cache = VerdictCache()
        cache.store([1], identity: identity(notBefore: -10, notAfter: 10), notAfterLimit: nil)
        #expect(cache.lookup([1], now: now + 11) == nil)
        #expect(cache.count == 0)
    }

    @Test func noHitBeforeTheChainIsValid() {
        var cache = VerdictCache()
        cache.store([1], identity: identity(notBefore: 5, notAfter: 10), notAfterLimit: nil)
        #expect(cache.lookup([1], now: now) == nil)
    }

    @Test func crlNextUpdateBoundsTheEntry() {
        var cache = VerdictCache()
        cache.store([1], identity: identity(notBefore: -10, notAfter: 1000), notAfterLimit: now + 5)
        #expect(cache.lookup([1], now: now + 4) != nil)
        #expect(cache.lookup([1], now: now + 6) == nil)
    }

    @Test func boundedByCapacity() {
        var cache = VerdictCache(capacity: 2)
        for key in 0..<5 { cache.store([UInt8(key)], identity: identity(notBefore: -10, notAfter: 10), notAfterLimit: nil) }
        #expect(cache.count == 2)
    }

    /// One admitted client presenting ever new certificates must not empty the cache for
    /// everyone: each new chain pushes out one entry, and a chain in use survives.
    @Test func aFullCacheEvictsOneUnusedEntryAtATime() {
        var cache = VerdictCache(capacity: 4)
        let valid = identity(notBefore: -10, notAfter: 1000)
        cache.store([0], identity: valid, notAfterLimit: nil)  // the busy client (Cloudflare's certificate, say)
        for key in 1..<4 { cache.store([UInt8(key)], identity: valid, notAfterLimit: nil) }
        for key in 100..<200 {
            #expect(cache.lookup([0], now: now) != nil, "the entry in use was evicted at key \(key)")
            cache.store([UInt8(key)], identity: valid, notAfterLimit: nil)
            #expect(cache.count == 4)
        }
    }
}
