import Foundation
import PullGuardCore

/// `access_log:` and the request id (`headers.request_id`, `headers.trust_request_id`).
extension ConfigValidator {
    mutating func accessLogSettings(_ document: AccessLogDocument) -> AccessLogSettings {
        var settings = AccessLogSettings()
        if let path = document.path.value {
            switch path {
            case "off": settings.destination = .off
            case "stdout": settings.destination = .stdout
            case "stderr": settings.destination = .stderr
            case _ where path.isEmpty || path.hasSuffix("/"):
                report(document.path.keyPath, "'\(path)' is not a file path; use stdout, stderr, off or a file")
            default:
                let file = resolve(path)
                var isDirectory: ObjCBool = false
                let folder = (file as NSString).deletingLastPathComponent
                if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) || !isDirectory.boolValue {
                    report(document.path.keyPath, "\(folder): the access log's folder does not exist")
                } else {
                    settings.destination = .file(file)
                }
            }
        } else if document.format.value != nil || document.refusedHandshakesPerSecond.value != nil {
            report(document.path.keyPath, "required: stdout, stderr, off or a file")
        }
        if let format = document.format.value, AccessLogSettings.Format(rawValue: format) == nil {
            report(document.format.keyPath, "'\(format)' is not a format; the one format is json")
        }
        if document.refusedHandshakesPerSecond.value != nil,
           let rate = integer(document.refusedHandshakesPerSecond, in: 0...100_000, note: "0: no refused-handshake lines") {
            settings.refusedHandshakesPerSecond = rate
        }
        return settings
    }

    /// On by default as `X-Request-ID`; `off` sends none. The name must not be one of the
    /// identity headers (one would overwrite the other upstream).
    mutating func requestIDSettings(_ document: HeadersDocument, identity: IdentityHeaderNames) -> RequestIDSettings {
        var settings = RequestIDSettings(trustClient: document.trustRequestID.value ?? false)
        guard let name = document.requestID.value else { return settings }
        if name == "off" {
            settings.header = nil
            if document.trustRequestID.value == true {
                report(document.trustRequestID.keyPath, "has no effect with headers.request_id: off")
            }
            return settings
        }
        guard ValueCheck.isHeaderName(name) else {
            report(document.requestID.keyPath, "'\(name)' is not a valid HTTP header name (or off)")
            return settings
        }
        let form = HeaderNameForm.of(name)
        let identityNames = [identity.verify, identity.subject, identity.issuer, identity.serial, identity.fingerprint,
                             identity.notAfter]
        if let clash = identityNames.first(where: { HeaderNameForm.of($0) == form }) ?? Self.ownedName(matching: name) {
            report(document.requestID.keyPath, "'\(name)' is a header PullGuard already sets or reads (\(clash))")
            return settings
        }
        settings.header = name
        return settings
    }
}
