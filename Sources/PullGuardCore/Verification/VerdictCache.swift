import Foundation

/// Remembers chains that verified, so the same presented chain is not verified again.
///
/// Cloudflare presents one client certificate on millions of connections; OpenSSL's
/// `X509_verify_cert` plus our facts extraction costs a large share of a handshake.
/// What makes skipping it safe (docs/verification.md, "Verdict cache"):
/// - the key is the SHA-256 of the exact bytes of every certificate the client sent,
///   so a different certificate, or the same leaf with another chain, is a miss;
/// - an entry is used only inside the window where the whole verified chain is valid,
///   and never past the earliest `nextUpdate` of the site's CRLs;
/// - one cache belongs to one trust store and CRL set: a new configuration generation
///   builds a new verifier and so starts empty;
/// - only admitted chains are cached: refusals are always re-evaluated;
/// - the client still proves possession of the key on every connection: OpenSSL checks
///   CertificateVerify separately from chain verification.
public struct VerdictCache: Sendable {
    public struct Entry: Sendable {
        public var identity: PeerIdentity
        public var validFrom: Date
        public var validUntil: Date
        /// Set by a hit; the eviction hand spares an entry once for it (CLOCK, second chance).
        var referenced = false
    }

    private var entries: [[UInt8]: Entry] = [:]
    /// Keys in insertion order, for the eviction hand. A key whose entry is gone is skipped.
    private var ring: [[UInt8]] = []
    private var hand = 0
    public let capacity: Int

    public init(capacity: Int = 4096) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    public var count: Int { entries.count }

    /// The identity for `key`, if it verified before and `now` is inside its window.
    public mutating func lookup(_ key: [UInt8], now: Date) -> PeerIdentity? {
        guard let entry = entries[key] else { return nil }
        guard now >= entry.validFrom, now < entry.validUntil else {
            entries[key] = nil
            return nil
        }
        if !entry.referenced { entries[key]?.referenced = true }
        return entry.identity
    }

    /// Stores an admitted chain. When full, one entry goes: the first the eviction hand finds
    /// that was not used since it last passed (CLOCK). A client with many certificates can
    /// therefore push out only entries nobody uses, never empty the cache for everyone.
    /// - Parameter notAfterLimit: an extra upper bound (the CRLs' earliest nextUpdate).
    public mutating func store(_ key: [UInt8], identity: PeerIdentity, notAfterLimit: Date?) {
        let validFrom = identity.chain.map(\.notBefore).max() ?? .distantFuture
        var validUntil = identity.chain.map(\.notAfter).min() ?? .distantPast
        if let notAfterLimit { validUntil = min(validUntil, notAfterLimit) }
        guard validFrom < validUntil else { return }
        if entries[key] == nil {
            if entries.count >= capacity { evictOne() }
            if ring.count >= 2 * capacity { compactRing() }
            ring.append(key)
        }
        entries[key] = Entry(identity: identity, validFrom: validFrom, validUntil: validUntil)
    }

    /// Removes exactly one entry (the cache is full, so the ring holds at least one live key).
    private mutating func evictOne() {
        while true {
            if hand >= ring.count { hand = 0 }
            let key = ring[hand]
            guard let entry = entries[key] else {
                ring.remove(at: hand)
                continue
            }
            if entry.referenced {
                entries[key]?.referenced = false
                hand += 1
            } else {
                entries[key] = nil
                ring.remove(at: hand)
                return
            }
        }
    }

    /// Drops the keys of entries that expired on lookup.
    private mutating func compactRing() {
        let live = ring.filter { entries[$0] != nil }
        ring = live
        hand = 0
    }
}
