import NIOCore
import NIOHTTP1
import NIOPosix
import PullGuardHTTP
import PullGuardCore
import PullGuardObservability
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the proxy answered a request itself instead of relaying the upstream's response.
package enum ProxyFailure: Error, Equatable {
    /// The upstream refused the TCP connection (nothing listens there).
    case connectRefused
    /// Connecting did not finish within `ProxyTimeouts.upstreamConnect`.
    case connectTimedOut(TimeAmount)
    /// Any other connect error, described.
    case connectFailed(String)
    /// The response head did not arrive within `ProxyTimeouts.upstreamResponse`.
    case responseTimedOut(TimeAmount)
    /// The upstream closed or failed before sending a response head.
    case closedBeforeResponse
    /// The upstream's bytes could not be read as the response (`HTTP1ResponseError`), or
    /// the request could not be written (`HTTP1RequestError`): the reason, for the log.
    case protocolError(String)
    /// The Host names another configured site (the name is given).
    case misdirected(otherSite: String)
    /// HTTP/1.1 without Host, or a Host we cannot parse.
    case badHost
    /// The request did not parse as HTTP/1.1 (the decoder's error is given).
    case malformedRequest(String)
    /// The client sent no request body bytes within `ProxyTimeouts.clientBody`.
    case requestBodyTimedOut(TimeAmount)
    /// The upstream answered 101 to a request that did not ask for a WebSocket upgrade.
    case unexpectedSwitchingProtocols
    /// The site's `limits.max_upstream_connections_per_site` requests were in flight
    /// for the whole wait (`ProxyTimeouts.upstreamConnect`).
    case upstreamBusy(limit: Int, waited: TimeAmount)
    /// Refused from its head (`RequestFraming`): 405 for `TRACE`/`CONNECT`, 501 for a
    /// transfer coding other than `chunked`, 400 for contradictory framing.
    /// `drains`: the body is framed, so it can be read and dropped and the connection kept.
    case refused(RequestFraming.Refusal, drains: Bool)

    /// The per-site upstream error it is counted as (`pullguard_site_upstream_errors_total{kind}`);
    /// nil for the client's own faults.
    var upstreamErrorCounter: SiteCounter? {
        switch self {
        case .connectRefused: .upstreamConnectRefused
        case .connectTimedOut: .upstreamConnectTimedOut
        case .connectFailed: .upstreamConnectFailed
        case .responseTimedOut: .upstreamResponseTimedOut
        case .closedBeforeResponse: .upstreamClosedBeforeResponse
        case .protocolError: .upstreamProtocolError
        case .unexpectedSwitchingProtocols: .upstreamUnexpectedSwitchingProtocols
        case .upstreamBusy: .upstreamBusy
        case .misdirected, .badHost, .malformedRequest, .requestBodyTimedOut, .refused: nil
        }
    }

    var status: HTTPResponseStatus {
        switch self {
        case .connectRefused, .connectTimedOut, .connectFailed, .closedBeforeResponse, .protocolError,
             .unexpectedSwitchingProtocols:
            return .badGateway
        case .requestBodyTimedOut: return .requestTimeout
        case .upstreamBusy: return .serviceUnavailable
        case .responseTimedOut: return .gatewayTimeout
        case .misdirected: return .misdirectedRequest
        case .badHost, .malformedRequest: return .badRequest
        case .refused(.methodNotAllowed, _): return .methodNotAllowed
        case .refused(.unsupportedTransferCoding, _): return .notImplemented
        case .refused(.ambiguous, _): return .badRequest
        }
    }

    /// Whether the rest of the request body is read and dropped so the connection
    /// can serve the next request. Only for refusals decided from the head alone;
    /// after an upstream failure or a malformed head the connection is closed.
    var drainsRequest: Bool {
        if case .misdirected = self { return true }
        if case .refused(_, let drains) = self { return drains }
        return false
    }

    /// A refusal of `RequestFraming`. Only a `TRACE` is drained: after `CONNECT` NIO's
    /// decoder stops parsing (the rest is a tunnel's bytes), and the other refusals
    /// are about the very framing a drain would rely on.
    init(refusal: RequestFraming.Refusal, method: HTTPMethod) {
        self = .refused(refusal, drains: refusal == .methodNotAllowed && method != .CONNECT)
    }

    /// The one-line `text/plain` body, which also serves as the log message.
    func message(upstream: UpstreamAddress) -> String {
        let prefix = "\(status.code) \(status.reasonPhrase)"
        switch self {
        case .connectRefused:
            return "\(prefix): upstream \(upstream) refused the connection\n"
        case .connectTimedOut(let limit):
            return "\(prefix): upstream \(upstream) did not accept a connection within \(limit.humanReadable)\n"
        case .connectFailed(let reason):
            return "\(prefix): upstream \(upstream) could not be reached (\(reason))\n"
        case .responseTimedOut(let limit):
            return "\(prefix): upstream \(upstream) did not answer within \(limit.humanReadable)\n"
        case .closedBeforeResponse:
            return "\(prefix): upstream \(upstream) closed the connection without a response\n"
        case .protocolError(let reason):
            return "\(prefix): upstream \(upstream): \(reason)\n"
        case .misdirected:
            return "\(prefix): this connection is not for the requested host\n"
        case .badHost:
            return "\(prefix): missing or invalid Host header\n"
        case .malformedRequest:
            return "\(prefix): malformed HTTP request\n"
        case .requestBodyTimedOut(let limit):
            return "\(prefix): no request body bytes within \(limit.humanReadable)\n"
        case .unexpectedSwitchingProtocols:
            return "\(prefix): upstream \(upstream) switched protocols without being asked to\n"
        case .upstreamBusy(let limit, let waited):
            return "\(prefix): upstream \(upstream) has \(limit) requests in flight; none finished within \(waited.humanReadable)\n"
        case .refused(.methodNotAllowed, _):
            return "\(prefix): method not allowed through this proxy\n"
        case .refused(.unsupportedTransferCoding, _):
            return "\(prefix): only the chunked transfer coding is supported\n"
        case .refused(.ambiguous, _):
            return "\(prefix): ambiguous request framing\n"
        }
    }

    /// Why an upstream connection ended under an exchange: a protocol error when the
    /// connection gave up on the upstream's bytes (or on writing the request), a close otherwise.
    init(upstreamClosedWith error: Error?) {
        if let error = error as? UpstreamProtocolError {
            self = .protocolError(error.description)
        } else {
            self = .closedBeforeResponse
        }
    }

    /// Maps a `ClientBootstrap.connect` error.
    init(connectError error: Error, connectTimeout: TimeAmount) {
        if let error = error as? ChannelError, case .connectTimeout = error {
            self = .connectTimedOut(connectTimeout)
        } else if let error = error as? NIOConnectionError {
            let refused = error.connectionErrors.contains { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }
            if refused {
                self = .connectRefused
            } else if error.connectionErrors.isEmpty, let dns = error.dnsAError ?? error.dnsAAAAError {
                self = .connectFailed("\(dns)")
            } else {
                self = .connectFailed(error.connectionErrors.first.map { "\($0.error)" } ?? "\(error)")
            }
        } else if let error = error as? IOError, error.errnoCode == ECONNREFUSED {
            self = .connectRefused
        } else {
            self = .connectFailed("\(error)")
        }
    }
}

extension TimeAmount {
    /// `60s`, `250ms`: whole seconds when exact, milliseconds otherwise.
    var humanReadable: String {
        let ms = nanoseconds / 1_000_000
        return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
    }
}
