import Foundation
import PullGuardCore

/// `client_ips:`: the client addresses every listener accepts, as one `ClientAddressList`.
extension ConfigValidator {
    static let cloudflareIPFiles = ["cloudflare-ips-v4.txt", "cloudflare-ips-v6.txt"]

    /// nil when `client_ips` is absent (every address admitted). Each entry is a CIDR, the
    /// `cloudflare` keyword (the shipped lists, found like the `cloudflare` trust CA) or
    /// `{file: PATH}`; every problem is reported at the entry's key path.
    mutating func clientAddressList(_ field: ConfigField<[ClientIPEntryDocument]>) -> ClientAddressList? {
        guard let entries = field.value else { return nil }
        if entries.isEmpty {
            if !field.alreadyReported {
                report(field.keyPath, "an empty list would refuse every connection; "
                    + "remove client_ips to accept every address, or list the addresses to accept")
            }
            return nil
        }
        var cidrs: [ClientCIDR] = []
        var files: [String] = []
        var cloudflareSeen = false
        for entry in entries {
            switch entry {
            case .text(let text):
                guard let value = text.value else { continue }
                if value == "cloudflare" {
                    if cloudflareSeen { report(text.keyPath, "cloudflare is listed twice") }
                    cloudflareSeen = true
                    guard let paths = cloudflareIPFiles(at: text.keyPath) else { continue }
                    for path in paths { cidrs += entriesOfFile(path, at: text.keyPath) }
                    files += paths
                    continue
                }
                do {
                    cidrs.append(try ClientCIDR(parsing: value))
                } catch {
                    report(text.keyPath, error.message)
                }
            case .file(let file):
                guard let value = file.value else { continue }
                guard !value.isEmpty else {
                    report(file.keyPath, "empty path")
                    continue
                }
                let path = resolve(value)
                cidrs += entriesOfFile(path, at: file.keyPath)
                files.append(path)
            }
        }
        return ClientAddressList(cidrs, files: files)
    }

    private mutating func entriesOfFile(_ path: String, at keyPath: String) -> [ClientCIDR] {
        switch ClientAddressFile.load(path) {
        case .success(let entries): return entries
        case .failure(let error):
            for problem in error.problems { report(keyPath, problem) }
            return []
        }
    }

    /// The shipped Cloudflare lists, looked up like the `cloudflare` trust keyword's CA.
    private mutating func cloudflareIPFiles(at keyPath: String) -> [String]? {
        switch CertsDirectory.files(Self.cloudflareIPFiles, configured: certsDir, baseDirectory: baseDirectory,
                                    environment: environment) {
        case .success(let paths): return paths
        case .failure(let notFound):
            report(keyPath, "\(Self.cloudflareIPFiles.joined(separator: " and ")) not found together in any of: "
                + notFound.searched.joined(separator: ", ") + " (set certs_dir, --certs-dir or PULLGUARD_CERTS_DIR)")
            return nil
        }
    }
}
