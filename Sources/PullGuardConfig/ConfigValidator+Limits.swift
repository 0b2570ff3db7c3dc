import NIOCore
import PullGuardCore

/// `timeouts.handshake`, `timeouts.session_lifetime` and `limits:`: what the TLS side
/// and the acceptor take on before they refuse.
extension ConfigValidator {
    /// The TLS timing settings, defaults where a key is absent.
    mutating func tlsTiming(_ document: TimeoutsDocument) -> (handshake: TimeAmount, sessionLifetime: TimeAmount) {
        var handshake = TLSListenerSettings.defaultHandshakeTimeout
        var lifetime = TLSListenerSettings.defaultSessionLifetime
        if let amount = duration(document.handshake) { handshake = amount }
        if let amount = duration(document.sessionLifetime) {
            // TLS 1.3 caps a ticket's lifetime at 7 days (RFC 8446 §4.6.1); OpenSSL counts in seconds.
            if amount < .seconds(1) || amount > .hours(24 * 7) {
                report(document.sessionLifetime.keyPath, "\(document.sessionLifetime.value ?? "") is out of range 1s...168h")
            } else {
                lifetime = amount
            }
        }
        return (handshake, lifetime)
    }

    mutating func connectionLimits(_ document: LimitsDocument) -> ConnectionLimits {
        var limits = ConnectionLimits()
        if let value = integer(document.maxConnections, in: 1...1_000_000) { limits.maxConnections = value }
        if let value = integer(document.maxHandshakes, in: 1...1_000_000) { limits.maxHandshakes = value }
        return limits
    }

    /// A duration field's value, reporting text that is not a duration.
    mutating func duration(_ field: ConfigField<String>) -> TimeAmount? {
        guard let text = field.value else { return nil }
        if let amount = ValueCheck.duration(text) { return amount }
        report(field.keyPath, "'\(text)' is not a duration; use a positive number with ms, s, m or h (e.g. 500ms, 5s, 2m)")
        return nil
    }
}

extension ConfigValidator {
    /// `http2:`: each limit in a range that keeps it a limit (never 0, never unbounded).
    mutating func http2(_ document: HTTP2Document) -> HTTP2Settings {
        var settings = HTTP2Settings()
        let fields: [(ConfigField<Int>, ClosedRange<Int>, WritableKeyPath<HTTP2Settings, Int>)] = [
            (document.maxConcurrentStreams, 1...10_000, \.maxConcurrentStreams),
            (document.maxHeaderListSize, 1024...1_048_576, \.maxHeaderListSize),
            (document.headerTableSize, 0...65_536, \.headerTableSize),
            (document.maxContinuations, 0...1000, \.maxContinuations),
            (document.streamResetBurst, 1...100_000, \.streamResetBurst),
            (document.streamResetRate, 1...100_000, \.streamResetRate),
            (document.maxOutboundAcks, 1...100_000, \.maxOutboundAcks),
            (document.maxSettings, 1...10_000, \.maxSettings),
            (document.maxEmptyDataFrames, 0...100_000, \.maxEmptyDataFrames),
        ]
        for (field, range, keyPath) in fields {
            if let value = integer(field, in: range) { settings[keyPath: keyPath] = value }
        }
        if let idle = duration(document.streamIdle) { settings.streamIdle = idle }
        return settings
    }
}
