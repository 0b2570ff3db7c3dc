import Foundation
import Testing
@testable import PullGuard

/// `pid_file`: atomic write, read back, removal only while it is still ours, clear errors.
@Suite("PIDFile")
struct PIDFileTests {
    @Test func writeThenReadGivesThisProcessAndLeavesNoTemporaryFile() throws {
        let scratch = try ScratchDirectory("pid-write")
        defer { scratch.remove() }
        let file = try PIDFile.write(path: scratch.path("pullguard.pid"))
        #expect(file.pid == getpid())
        #expect(try String(contentsOfFile: scratch.path("pullguard.pid"), encoding: .utf8) == "\(getpid())\n")
        #expect(try PIDFile.read(path: scratch.path("pullguard.pid")) == getpid())
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path) == ["pullguard.pid"])
    }

    @Test func anExistingFileIsOverwrittenAsNginxDoes() throws {
        let scratch = try ScratchDirectory("pid-overwrite")
        defer { scratch.remove() }
        try scratch.write("pullguard.pid", "\(getppid())\n")
        _ = try PIDFile.write(path: scratch.path("pullguard.pid"), pid: 4242)
        #expect(try PIDFile.read(path: scratch.path("pullguard.pid")) == 4242)
    }

    /// A symlink planted at the temporary name must not make PullGuard (often root) write through it.
    @Test func aSymlinkAtTheTemporaryNameIsNotFollowed() throws {
        let scratch = try ScratchDirectory("pid-symlink")
        defer { scratch.remove() }
        try scratch.write("victim", "keep me")
        try FileManager.default.createSymbolicLink(atPath: scratch.path("pullguard.pid.4242.tmp"),
                                                   withDestinationPath: scratch.path("victim"))
        _ = try PIDFile.write(path: scratch.path("pullguard.pid"), pid: 4242)
        #expect(try String(contentsOfFile: scratch.path("victim"), encoding: .utf8) == "keep me")
        #expect(try PIDFile.read(path: scratch.path("pullguard.pid")) == 4242)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("pullguard.pid.4242.tmp")))
    }

    @Test func removeDeletesOnlyWhileTheFileStillNamesUs() throws {
        let scratch = try ScratchDirectory("pid-remove")
        defer { scratch.remove() }
        let ours = try PIDFile.write(path: scratch.path("pullguard.pid"), pid: 100)
        // Another instance started with the same pid_file after us.
        _ = try PIDFile.write(path: scratch.path("pullguard.pid"), pid: 200)
        ours.remove()
        #expect(try PIDFile.read(path: scratch.path("pullguard.pid")) == 200)
        try PIDFile.write(path: scratch.path("pullguard.pid"), pid: 200).remove()
        #expect(!FileManager.default.fileExists(atPath: scratch.path("pullguard.pid")))
    }

    @Test func missingFolderIsNamed() {
        let folder = "/nonexistent-\(UUID().uuidString)"
        #expect(throws: PIDFileError.cannotWrite(path: "\(folder)/p.pid", reason: "the folder \(folder) does not exist")) {
            try PIDFile.write(path: "\(folder)/p.pid")
        }
    }

    @Test func unwritableFolderIsNamed() throws {
        let scratch = try ScratchDirectory("pid-readonly")
        defer { scratch.remove() }
        let readOnly = scratch.path("ro")
        try FileManager.default.createDirectory(atPath: readOnly, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o555])
        defer { chmod(readOnly, 0o755) }
        // Root writes into a 0555 folder; sysfs refuses new files even to root.
        let folder = geteuid() == 0 ? "/sys" : readOnly
        do {
            _ = try PIDFile.write(path: "\(folder)/p.pid")
            Issue.record("expected the write to fail")
        } catch {
            #expect(error.description.hasPrefix("cannot write the pid file \(folder)/p.pid: the folder \(folder) is not writable"),
                    "\(error)")
        }
    }

    @Test func readErrors() throws {
        let scratch = try ScratchDirectory("pid-read")
        defer { scratch.remove() }
        #expect(throws: PIDFileError.missing(path: scratch.path("none.pid"))) {
            try PIDFile.read(path: scratch.path("none.pid"))
        }
        try scratch.write("garbage.pid", "nginx: [emerg]\n")
        #expect(throws: PIDFileError.garbage(path: scratch.path("garbage.pid"), content: "nginx: [emerg]\n")) {
            try PIDFile.read(path: scratch.path("garbage.pid"))
        }
        try scratch.write("empty.pid", "")
        #expect(throws: PIDFileError.garbage(path: scratch.path("empty.pid"), content: "")) {
            try PIDFile.read(path: scratch.path("empty.pid"))
        }
    }

    /// 0 and negative ids given to kill(2) signal process groups or everything we may signal.
    @Test(arguments: [
        ("123", Int32?.some(123)), (" 77\n", 77), ("1", 1),
        ("0", nil), ("-1", nil), ("+5", nil), ("12 34", nil), ("0x10", nil), ("99999999999", nil), ("", nil), ("٣", nil),
    ])
    func parse(_ text: String, _ expected: Int32?) {
        #expect(PIDFile.parse(text) == expected)
    }
}
