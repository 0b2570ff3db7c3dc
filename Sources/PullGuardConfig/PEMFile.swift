import Foundation

/// Reads the PEM files a configuration names and checks they hold the right kind
/// of block, so a key given as a certificate (or a DER file) is caught at load
/// time with the config key that named it, not as an OpenSSL error at startup.
enum PEMFile {
    /// What a file must contain.
    enum Kind: CustomStringConvertible {
        case certificate
        case privateKey
        case crl

        var description: String {
            switch self {
            case .certificate: return "CERTIFICATE"
            case .privateKey: return "PRIVATE KEY"
            case .crl: return "X509 CRL"
            }
        }

        func accepts(_ label: String) -> Bool {
            switch self {
            case .certificate: return label == "CERTIFICATE"
            case .privateKey: return label.hasSuffix("PRIVATE KEY") && label != "ENCRYPTED PRIVATE KEY"
            case .crl: return label == "X509 CRL"
            }
        }
    }

    /// Large enough for any sane CA bundle; stops a mistyped path to a huge file.
    static let maximumSize = 16 << 20

    /// Reads `path` and checks it holds at least one block of `kind`; the error
    /// message names the path and, for read failures, the OS error.
    static func load(_ path: String, as kind: Kind) -> Result<[UInt8], PEMFileError> {
        let bytes: [UInt8]
        switch read(path) {
        case .success(let read): bytes = read
        case .failure(let error): return .failure(error)
        }
        let labels = beginLabels(in: bytes)
        if labels.contains(where: kind.accepts) { return .success(bytes) }
        if kind == .privateKey, labels.contains("ENCRYPTED PRIVATE KEY") {
            return .failure(PEMFileError("\(path): encrypted private keys are not supported; "
                + "decrypt it with `openssl pkey -in KEY -out KEY.plain`"))
        }
        let found = labels.isEmpty
            ? "no PEM blocks (is it DER or empty?)"
            : Array(Set(labels)).sorted().map { "'\($0)'" }.joined(separator: ", ") + " blocks"
        return .failure(PEMFileError("\(path): expected a PEM \(kind) block, found \(found)"))
    }

    /// The labels of every `-----BEGIN <label>-----` line.
    static func beginLabels(in bytes: [UInt8]) -> [String] {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            let line = line.trimmingCharacters(in: .whitespaces)
            guard line.hasPrefix("-----BEGIN "), line.hasSuffix("-----"), line.count > 16 else { return nil }
            return String(line.dropFirst("-----BEGIN ".count).dropLast("-----".count))
        }
    }

    /// The bytes of a regular file, or an error naming the path and the OS reason.
    static func read(_ path: String) -> Result<[UInt8], PEMFileError> {
        var status = stat()
        guard stat(path, &status) == 0 else { return .failure(osError(path)) }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            return .failure(PEMFileError("\(path): is a directory, expected a file"))
        }
        guard Int(status.st_size) <= maximumSize else {
            return .failure(PEMFileError("\(path): larger than \(maximumSize >> 20) MiB, not a PEM file"))
        }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return .failure(osError(path)) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            return .success(Array(try handle.readToEnd() ?? Data()))
        } catch {
            return .failure(PEMFileError("\(path): \(error.localizedDescription)"))
        }
    }

    private static func osError(_ path: String) -> PEMFileError {
        PEMFileError("\(path): \(String(cString: strerror(errno)))")
    }
}

/// A file that could not be used, with a message that names it.
struct PEMFileError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
