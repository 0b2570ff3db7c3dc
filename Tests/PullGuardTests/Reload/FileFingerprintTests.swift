import Foundation
import Testing
@testable import PullGuard

/// Each way a file gets replaced changes its fingerprint; reading it twice does not.
@Suite("FileFingerprint")
struct FileFingerprintTests {
    @Test func unchangedFileHasTheSameFingerprint() throws {
        let scratch = try ScratchDirectory("fp-same")
        defer { scratch.remove() }
        try scratch.write("cert.pem", "A")
        #expect(FileFingerprint.of(scratch.path("cert.pem")) == FileFingerprint.of(scratch.path("cert.pem")))
    }

    @Test func sameSizeRewriteInPlaceIsSeenThroughTheContent() throws {
        let scratch = try ScratchDirectory("fp-rewrite")
        defer { scratch.remove() }
        try scratch.write("cert.pem", "AAAA")
        let before = FileFingerprint.of(scratch.path("cert.pem"))
        try scratch.rewriteInPlace("cert.pem", "BBBB")
        let after = FileFingerprint.of(scratch.path("cert.pem"))
        guard case .present(let old) = before, case .present(let new) = after else {
            Issue.record("expected both present: \(before) \(after)")
            return
        }
        #expect(old.inode == new.inode)
        #expect(old.size == new.size)
        #expect(old.contentHash != new.contentHash)
    }

    @Test func missingFileAndMissingFolder() {
        #expect(FileFingerprint.of("/nonexistent-\(UUID().uuidString)/cert.pem") == .missing)
        #expect(FileFingerprint.of(FileManager.default.temporaryDirectory.path + "/no-\(UUID().uuidString)") == .missing)
    }

    @Test func kubernetesDataSwapChangesTheResolvedPath() throws {
        let scratch = try ScratchDirectory("fp-k8s")
        defer { scratch.remove() }
        try KubernetesVolume.create(in: scratch, version: "a", files: ["cert.pem": "SAME"])
        let before = FileFingerprint.of(scratch.path("cert.pem"))
        try KubernetesVolume.update(in: scratch, from: "a", to: "b", files: ["cert.pem": "SAME"])
        let after = FileFingerprint.of(scratch.path("cert.pem"))
        guard case .present(let old) = before, case .present(let new) = after else {
            Issue.record("expected both present: \(before) \(after)")
            return
        }
        #expect(old.resolvedPath.hasSuffix("..2026_12_01_a/cert.pem"))
        #expect(new.resolvedPath.hasSuffix("..2026_12_01_b/cert.pem"))
        #expect(old.contentHash == new.contentHash)
        #expect(before != after)
    }
}

/// The layout kubelet gives a mounted Secret or ConfigMap, and its atomic update
/// (kubernetes `pkg/volume/util/atomic_writer.go`): the user-visible name is a symlink
/// into `..data`, itself a symlink to a timestamped folder; an update writes a new folder,
/// makes a `..data_tmp` link to it, renames that over `..data`, and deletes the old folder.
enum KubernetesVolume {
    static func folder(_ version: String) -> String { "..2026_12_01_\(version)" }

    static func create(in scratch: ScratchDirectory, version: String, files: [String: String]) throws {
        try writeFolder(in: scratch, version: version, files: files)
        try FileManager.default.createSymbolicLink(atPath: scratch.path("..data"), withDestinationPath: folder(version))
        for name in files.keys {
            try FileManager.default.createSymbolicLink(atPath: scratch.path(name), withDestinationPath: "..data/\(name)")
        }
    }

    static func update(in scratch: ScratchDirectory, from old: String, to new: String, files: [String: String]) throws {
        try writeFolder(in: scratch, version: new, files: files)
        try FileManager.default.createSymbolicLink(atPath: scratch.path("..data_tmp"), withDestinationPath: folder(new))
        guard rename(scratch.path("..data_tmp"), scratch.path("..data")) == 0 else {
            throw CocoaError(.fileWriteUnknown)
        }
        try FileManager.default.removeItem(atPath: scratch.path(folder(old)))
    }

    private static func writeFolder(in scratch: ScratchDirectory, version: String, files: [String: String]) throws {
        try FileManager.default.createDirectory(atPath: scratch.path(folder(version)), withIntermediateDirectories: false)
        for (name, text) in files { try scratch.write("\(folder(version))/\(name)", text) }
    }
}
