import Foundation
import Testing
@testable import PullGuardCore
@testable import PullGuardObservability

/// The access log's pieces without sockets: JSON encoding, the refused-line budget, the sink.
@Suite struct AccessLogWritingTests {
    static func parse(_ bytes: [UInt8]) throws -> [String: Any] {
        #expect(bytes.last == UInt8(ascii: "\n"))
        #expect(bytes.dropLast().contains(UInt8(ascii: "\n")) == false, "a line break inside the line")
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func stringsAreEscapedSoALineStaysOneValidObject() throws {
        var line = JSONLine()
        let hostile = "/a\"b\\c\r\nd\u{0}e\u{7f}\tf\u{2028}caf\u{e9}"
        line.string("path", hostile)
        line.string("none", nil)
        line.int("status", 200)
        line.bool("resumed", false)
        let object = try Self.parse(line.finish())
        #expect(object["path"] as? String == hostile)
        #expect(object["none"] is NSNull)
        #expect(object["status"] as? Int == 200)
        #expect(object["resumed"] as? Bool == false)
    }

    @Test func timestampIsRFC3339UTCWithMilliseconds() throws {
        var line = JSONLine()
        // 2029-11-01T17:00:00.042Z
        line.timestamp("time", secondsSince1970: 1_888_246_800, nanoseconds: 42_999_999)
        let object = try Self.parse(line.finish())
        #expect(object["time"] as? String == "2029-11-01T17:00:00.042Z")
    }

    @Test func millisecondsKeepMicroseconds() throws {
        var line = JSONLine()
        line.milliseconds("a", nanoseconds: 12_345_678)
        line.milliseconds("b", nanoseconds: 7_000)
        line.milliseconds("c", nanoseconds: nil)
        let text = String(decoding: line.finish(), as: UTF8.self)
        #expect(text == "{\"a\":12.345,\"b\":0.007,\"c\":null}\n")
    }

    @Test func fragmentsJoinWithoutBraces() throws {
        var shared = JSONLine()
        shared.string("site", "a")
        var line = JSONLine(fragment: shared.fragment)
        line.int("status", 204)
        #expect(String(decoding: line.finish(), as: UTF8.self) == "{\"site\":\"a\",\"status\":204}\n")
    }

    @Test func refusalBudgetAllowsABurstThenOnePerInterval() {
        var budget = RefusalLineBudget(perSecond: 2)
        let second: Int64 = 1_000_000_000
        #expect(budget.admit(now: 0) == 0)
        #expect(budget.admit(now: 1) == 0)
        #expect(budget.admit(now: 2) == nil)
        #expect(budget.admit(now: 3) == nil)
        // Half a second later one token is back; the line says two were held back.
        #expect(budget.admit(now: second / 2 + 3) == 2)
        #expect(budget.admit(now: second / 2 + 4) == nil)
    }

    @Test func zeroRefusalLinesPerSecondWritesNone() {
        var budget = RefusalLineBudget(perSecond: 0)
        #expect(budget.admit(now: 0) == nil)
        #expect(budget.admit(now: 10_000_000_000) == nil)
    }

    static func temporaryFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("pullguard-sink-\(UUID().uuidString).log").path
    }

    @Test func closeWritesEverythingQueued() throws {
        let path = Self.temporaryFile()
        let sink = try AccessLogSink(destination: .file(path))
        for index in 0..<1000 { #expect(sink.append(Array("line \(index)\n".utf8))) }
        sink.close()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 1000)
        #expect(!sink.append(Array("late\n".utf8)), "a closed sink took a line")
    }

    @Test func aFullBufferDropsInsteadOfGrowing() throws {
        let path = Self.temporaryFile()
        let sink = try AccessLogSink(destination: .file(path), capacity: 64)
        let line = Array(String(repeating: "x", count: 39).utf8) + [UInt8(ascii: "\n")]
        var accepted = 0
        for _ in 0..<100 where sink.append(line) { accepted += 1 }
        sink.close()
        #expect(accepted < 100, "a 64-byte buffer took 100 lines of 40 bytes at once")
        let written = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count
        #expect(written == accepted)
    }

    @Test func reopenFollowsARename() async throws {
        let path = Self.temporaryFile()
        let sink = try AccessLogSink(destination: .file(path))
        sink.append(Array("before\n".utf8))
        #expect(rename(path, path + ".1") == 0)
        sink.reopen()
        let deadline = ContinuousClock.now + .seconds(5)
        while !FileManager.default.fileExists(atPath: path), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        sink.append(Array("after\n".utf8))
        sink.close()
        #expect(try String(contentsOfFile: path + ".1", encoding: .utf8) == "before\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "after\n")
    }

    /// A sink that starts `off` (the default) has no writer until a reload turns it on.
    @Test func anOffSinkWritesOnceRetargetedToAFile() throws {
        let sink = try AccessLogSink(destination: .off)
        #expect(sink.append(Array("nowhere\n".utf8)))
        let path = Self.temporaryFile()
        try sink.retarget(.file(path))
        #expect(sink.append(Array("written\n".utf8)))
        sink.close()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "written\n")
    }

    /// A reload's new path: what was queued before it goes to the old file, the rest to the new.
    @Test func retargetSplitsTheLinesAtTheSwitch() throws {
        let first = Self.temporaryFile()
        let second = Self.temporaryFile()
        let sink = try AccessLogSink(destination: .file(first))
        for index in 0..<100 { sink.append(Array("before \(index)\n".utf8)) }
        try sink.retarget(.file(second))
        for index in 0..<100 { sink.append(Array("after \(index)\n".utf8)) }
        sink.close()
        let old = try String(contentsOfFile: first, encoding: .utf8).split(separator: "\n")
        let new = try String(contentsOfFile: second, encoding: .utf8).split(separator: "\n")
        #expect(old.count == 100 && old.allSatisfy { $0.hasPrefix("before") })
        #expect(new.count == 100 && new.allSatisfy { $0.hasPrefix("after") })
    }

    @Test func anOffSinkCloses() throws {
        let sink = try AccessLogSink(destination: .off)
        sink.close()
        #expect(!sink.append(Array("late\n".utf8)))
    }

    @Test func aFolderThatDoesNotExistIsNamed() {
        #expect(throws: AccessLogOpenError.self) { try AccessLogSink(destination: .file("/no/such/folder/a.log")) }
    }
}
