import Foundation
import PullGuardTestSupport
import Testing

/// `make install-files` (what `make install` runs after building) into a temporary prefix,
/// then the installed binary, configuration and unit used as an operator would
/// (docs/operations.md, "Installing"). The binaries are the test build's, so nothing is
/// built here; the man pages come from `make man` in a real install and are stand-ins
/// here (scripts/check-manual.sh checks the generated ones).
@Suite(.serialized) struct InstallTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func temporaryDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("pullguard-\(name)-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs `make TARGET VARIABLES…` in the repository; the outer make's flags are not passed on.
    @discardableResult
    static func make(_ target: String, _ variables: [String]) throws -> CommandResult {
        let result = try CommandRunner.run("env", ["-u", "MAKEFLAGS", "-u", "MFLAGS", "-u", "MAKELEVEL",
            "make", "--no-print-directory", "-C", repository.path, target] + variables, timeout: 60)
        #expect(result.exitCode == 0, "make \(target) failed:\n\(result.stdout)\n\(result.stderr)")
        return result
    }

    /// `make install-files` with the test build's binaries and stand-in man pages.
    static func installFiles(_ variables: [String], scratch: URL) throws {
        let man = scratch.appendingPathComponent("man")
        try FileManager.default.createDirectory(at: man, withIntermediateDirectories: true)
        for page in ["pullguard.1", "pullguard-bench.1"] {
            try Data(".Dt STAND-IN 1\n".utf8).write(to: man.appendingPathComponent(page))
        }
        let binaries = URL(fileURLWithPath: PullGuardProcess.binary).deletingLastPathComponent().path
        try make("install-files", ["BIN_DIR=\(binaries)", "MAN_DIR=\(man.path)"] + variables)
    }

    static func exists(_ url: URL, _ path: String) -> Bool {
        FileManager.default.fileExists(atPath: url.appendingPathComponent(path).path)
    }

    @Test func stagedUsrInstallFollowsTheGNULayout() throws {
        let scratch = try Self.temporaryDirectory("install-stage")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let stage = scratch.appendingPathComponent("stage")

        try Self.installFiles(["DESTDIR=\(stage.path)", "PREFIX=/usr"], scratch: scratch)

        for path in ["usr/bin/pullguard", "usr/bin/pullguard-bench", "etc/pullguard/pullguard.yaml",
                     "usr/share/man/man1/pullguard.1", "usr/share/man/man1/pullguard-bench.1",
                     "usr/lib/systemd/system/pullguard.service", "usr/lib/sysusers.d/pullguard.conf"] {
            #expect(Self.exists(stage, path), "missing \(path)")
        }
        // Every file of the shipped data folder, whatever it holds by now.
        let shipped = try FileManager.default.contentsOfDirectory(atPath: Self.repository.appendingPathComponent("certs").path)
        #expect(shipped.contains("cloudflare-origin-pull-ca-2019.pem"))
        for name in shipped {
            #expect(Self.exists(stage, "usr/share/pullguard/certs/\(name)"), "missing shipped file \(name)")
        }
        #expect(FileManager.default.isExecutableFile(atPath: stage.appendingPathComponent("usr/bin/pullguard").path))
        let unit = try String(contentsOf: stage.appendingPathComponent("usr/lib/systemd/system/pullguard.service"), encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/bin/pullguard run --config /etc/pullguard/pullguard.yaml\n"))
        #expect(!unit.contains("@"), "a placeholder was left in the unit:\n\(unit)")
    }

    @Test func reinstallKeepsAnEditedConfigurationAndUninstallKeepsIt() throws {
        let scratch = try Self.temporaryDirectory("install-again")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let prefix = scratch.appendingPathComponent("prefix")
        let config = prefix.appendingPathComponent("etc/pullguard/pullguard.yaml")
        try Self.installFiles(["PREFIX=\(prefix.path)"], scratch: scratch)
        try Data("# edited by the operator\n".utf8).write(to: config)

        try Self.installFiles(["PREFIX=\(prefix.path)"], scratch: scratch)
        #expect(try String(contentsOf: config, encoding: .utf8) == "# edited by the operator\n")

        try Self.make("uninstall", ["PREFIX=\(prefix.path)"])
        #expect(try String(contentsOf: config, encoding: .utf8) == "# edited by the operator\n")
        for path in ["bin/pullguard", "bin/pullguard-bench", "share/pullguard", "share/man/man1/pullguard.1",
                     "lib/systemd/system/pullguard.service", "lib/sysusers.d/pullguard.conf"] {
            #expect(!Self.exists(prefix, path), "uninstall left \(path)")
        }
    }

    /// The installed default configuration is refused until the operator's files exist, then
    /// passes `pullguard check`, with the `cloudflare` CA found under the binary's own prefix:
    /// nothing in the working directory, no PULLGUARD_CERTS_DIR.
    @Test func installedDefaultConfigurationPassesCheckOnceItsFilesExist() throws {
        let scratch = try Self.temporaryDirectory("install-check")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let prefix = scratch.appendingPathComponent("prefix")
        try Self.installFiles(["PREFIX=\(prefix.path)"], scratch: scratch)
        let etc = prefix.appendingPathComponent("etc/pullguard")
        let check = { () throws -> CommandResult in
            try CommandRunner.run("env", ["-u", "PULLGUARD_CERTS_DIR", "-C", scratch.path,
                prefix.appendingPathComponent("bin/pullguard").path, "check", "--config",
                etc.appendingPathComponent("pullguard.yaml").path])
        }

        let unfilled = try check()
        #expect(unfilled.exitCode == 1)
        #expect(unfilled.stdout.contains(etc.appendingPathComponent("origin.pem").path), "\(unfilled.stdout)")

        for (from, to) in [("server.pem", "origin.pem"), ("server.key", "origin.key")] {
            try FileManager.default.copyItem(atPath: ProxyScenario.file(from), toPath: etc.appendingPathComponent(to).path)
        }
        let filled = try check()
        #expect(filled.exitCode == 0, "\(filled.stdout)\(filled.stderr)")
        #expect(filled.stdout.contains("trust: cloudflare (pinned)"), "\(filled.stdout)")

        // The CA used is the prefix's copy: altered there, the pin refuses it.
        let installedCA = prefix.appendingPathComponent("share/pullguard/certs/cloudflare-origin-pull-ca-2019.pem")
        try Data(contentsOf: URL(fileURLWithPath: ProxyScenario.file("root.pem"))).write(to: installedCA)
        let altered = try check()
        #expect(altered.exitCode == 1)
        #expect((altered.stdout + altered.stderr).contains(installedCA.path), "\(altered.stdout)\(altered.stderr)")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"),
                   "systemd-analyze is not installed (Debian package systemd)"))
    func installedUnitPassesSystemdAnalyzeVerify() throws {
        let scratch = try Self.temporaryDirectory("install-unit")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let prefix = scratch.appendingPathComponent("prefix")
        // No DESTDIR: the unit's ExecStart names a binary that exists, as verify requires.
        try Self.installFiles(["PREFIX=\(prefix.path)"], scratch: scratch)
        let unit = prefix.appendingPathComponent("lib/systemd/system/pullguard.service").path

        let verify = try CommandRunner.run("systemd-analyze", ["verify", "--man=no", unit], timeout: 60)

        #expect(verify.exitCode == 0, "systemd-analyze verify:\n\(verify.stdout)\(verify.stderr)")
        #expect(!verify.stderr.contains("pullguard.service:"), "warnings about the unit:\n\(verify.stderr)")
    }
}
