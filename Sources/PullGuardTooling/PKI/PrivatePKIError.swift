import Foundation

/// Why a `PrivatePKI` operation failed, worded for the person at the terminal:
/// each message names the file or value involved and, where there is one, the
/// command that fixes it.
public enum PrivatePKIError: Error, CustomStringConvertible, Sendable, Hashable {
    /// `initialize` found a CA already in place and was not asked to overwrite it.
    case caAlreadyExists(URL)
    /// The CA certificate or key is missing, so nothing can be issued yet.
    case caMissing(URL)
    case invalidClientName(String)
    case invalidServerName(String)
    case invalidValidity(days: Int)
    /// A file-system call failed; `reason` is the system's message.
    case fileSystem(path: URL, reason: String)

    public var description: String {
        switch self {
        case .caAlreadyExists(let file):
            return "a CA already exists at \(file.path); refusing to overwrite it, because every certificate it issued "
                + "(including client certificates uploaded to Cloudflare) would stop verifying. Move it away first, or ask for an explicit overwrite."
        case .caMissing(let file):
            return "no CA found (\(file.path) is missing); run `pullguard pki init` first"
        case .invalidClientName(let name):
            return "invalid client name \"\(name)\": use 1 to 64 characters from A-Z a-z 0-9 . _ - (not \".\" or \"..\")"
        case .invalidServerName(let name):
            return "invalid server name \"\(name)\": use a DNS name such as localhost or origin.example.com"
        case .invalidValidity(let days):
            return "invalid validity of \(days) days: use 1 to 3650"
        case .fileSystem(let path, let reason):
            return "\(path.path): \(reason)"
        }
    }
}
