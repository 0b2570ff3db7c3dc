import Foundation
import PullGuardCore

/// Finds the folder holding the Cloudflare origin-pull CA for the `cloudflare` trust keyword.
///
/// An explicit choice (`certs_dir`/`--certs-dir`, then `PULLGUARD_CERTS_DIR`) is the
/// only place looked at, so a mistake there is reported rather than silently covered
/// by another copy; without one, the usual install and development places are tried
/// in order. Whatever file is found is only carried here: the TLS layer refuses it
/// unless it matches `CloudflareOriginPull.caSHA256`.
enum CertsDirectory {
    /// The folders to look in, most specific first.
    static func candidates(configured: String?, baseDirectory: URL, environment: ConfigEnvironment) -> [URL] {
        if let configured {
            return [URL(fileURLWithPath: ConfigPath.resolve(configured, against: baseDirectory))]
        }
        if let fromEnvironment = environment.variables["PULLGUARD_CERTS_DIR"], !fromEnvironment.isEmpty {
            return [URL(fileURLWithPath: ConfigPath.resolve(fromEnvironment, against: environment.currentDirectory))]
        }
        var folders = [environment.currentDirectory.appendingPathComponent("certs")]
        if let executable = environment.executableURL {
            let binFolder = executable.deletingLastPathComponent()
            // An installed `<prefix>/bin/pullguard` (`make install`, any PREFIX or DESTDIR
            // staging moved into place) reaches `<prefix>/share/pullguard/certs`.
            folders.append(binFolder.appendingPathComponent("../share/pullguard/certs"))
            // `.build/debug/pullguard` and `.build/<triple>/debug/pullguard` both reach the repository's certs/.
            folders.append(binFolder.appendingPathComponent("../../certs"))
            folders.append(binFolder.appendingPathComponent("../../../certs"))
        }
        folders.append(URL(fileURLWithPath: "/usr/local/share/pullguard/certs"))
        folders.append(URL(fileURLWithPath: "/etc/pullguard/certs"))
        return folders.map(\.standardizedFileURL)
    }

    /// The path of the Cloudflare CA file, or every path searched when none exists.
    static func cloudflareCA(configured: String?, baseDirectory: URL, environment: ConfigEnvironment)
        -> Result<String, CertsDirectoryNotFound>
    {
        let files = candidates(configured: configured, baseDirectory: baseDirectory, environment: environment)
            .map { $0.appendingPathComponent(CloudflareOriginPull.caFileName).path }
        for file in files where FileManager.default.fileExists(atPath: file) {
            return .success(file)
        }
        return .failure(CertsDirectoryNotFound(searched: files))
    }

    /// The first searched folder holding every one of `fileNames` (the `cloudflare`
    /// keyword of `client_ips` needs both address files from the same release), as the
    /// files' paths in `fileNames` order; or every folder searched.
    static func files(_ fileNames: [String], configured: String?, baseDirectory: URL, environment: ConfigEnvironment)
        -> Result<[String], CertsDirectoryNotFound>
    {
        let folders = candidates(configured: configured, baseDirectory: baseDirectory, environment: environment)
        for folder in folders {
            let paths = fileNames.map { folder.appendingPathComponent($0).path }
            if paths.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) { return .success(paths) }
        }
        return .failure(CertsDirectoryNotFound(searched: folders.map(\.path)))
    }
}

/// The Cloudflare CA file was in none of the searched places.
struct CertsDirectoryNotFound: Error {
    var searched: [String]
}
