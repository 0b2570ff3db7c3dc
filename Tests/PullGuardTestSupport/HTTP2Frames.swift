import NIOCore

/// Raw HTTP/2 frames for feeding `NGHTTP2ServerSession` what a client (or an attacker)
/// would send, and reading back what it answers. Header blocks use HPACK literals
/// without indexing and without Huffman coding: enough to say anything, nothing clever.
public enum HTTP2Frames {
    public static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    public static func frame(type: UInt8, flags: UInt8 = 0, stream: Int32, payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags]
            + withUnsafeBytes(of: UInt32(bitPattern: stream).bigEndian, Array.init) + payload
    }

    public static func settings(_ entries: [(UInt16, UInt32)] = [], ack: Bool = false) -> [UInt8] {
        var payload: [UInt8] = []
        for (id, value) in entries {
            payload += withUnsafeBytes(of: id.bigEndian, Array.init) + withUnsafeBytes(of: value.bigEndian, Array.init)
        }
        return frame(type: 0x4, flags: ack ? 0x1 : 0, stream: 0, payload: payload)
    }

    public static func block(_ fields: [(String, String)]) -> [UInt8] {
        var bytes: [UInt8] = []
        func string(_ text: String) {
            let utf8 = Array(text.utf8)
            precondition(utf8.count < 127)
            bytes.append(UInt8(utf8.count))
            bytes += utf8
        }
        for (name, value) in fields {
            bytes.append(0x00)
            string(name)
            string(value)
        }
        return bytes
    }

    public static func headers(stream: Int32, _ fields: [(String, String)], endStream: Bool = true, endHeaders: Bool = true) -> [UInt8] {
        frame(type: 0x1, flags: (endStream ? 0x1 : 0) | (endHeaders ? 0x4 : 0), stream: stream, payload: block(fields))
    }

    public static func continuation(stream: Int32, _ fields: [(String, String)], endHeaders: Bool) -> [UInt8] {
        frame(type: 0x9, flags: endHeaders ? 0x4 : 0, stream: stream, payload: block(fields))
    }

    public static func data(stream: Int32, _ payload: [UInt8], endStream: Bool = false) -> [UInt8] {
        frame(type: 0x0, flags: endStream ? 0x1 : 0, stream: stream, payload: payload)
    }

    public static func rstStream(stream: Int32, code: UInt32 = 0x8) -> [UInt8] {
        frame(type: 0x3, stream: stream, payload: withUnsafeBytes(of: code.bigEndian, Array.init))
    }

    public static func ping(_ value: UInt8) -> [UInt8] {
        frame(type: 0x6, stream: 0, payload: [UInt8](repeating: value, count: 8))
    }

    public static let get: [(String, String)] = [(":method", "GET"), (":scheme", "https"), (":authority", "a.example"), (":path", "/")]

    /// One frame read back.
    public struct Frame: Equatable {
        public var type: UInt8
        public var flags: UInt8
        public var stream: Int32
        public var payload: [UInt8]

        /// GOAWAY's or RST_STREAM's error code.
        public var errorCode: UInt32? {
            switch type {
            case 0x3 where payload.count >= 4: return payload[0..<4].reduce(0) { $0 << 8 | UInt32($1) }
            case 0x7 where payload.count >= 8: return payload[4..<8].reduce(0) { $0 << 8 | UInt32($1) }
            default: return nil
            }
        }
    }

    public static func parse(_ buffer: ByteBuffer?) -> [Frame] {
        guard var buffer else { return [] }
        var frames: [Frame] = []
        while buffer.readableBytes >= 9, let head = buffer.readBytes(length: 9) {
            let length = Int(head[0]) << 16 | Int(head[1]) << 8 | Int(head[2])
            let stream = Int32(bitPattern: head[5...8].reduce(0) { $0 << 8 | UInt32($1) } & 0x7fff_ffff)
            guard let payload = buffer.readBytes(length: length) else { break }
            frames.append(Frame(type: head[3], flags: head[4], stream: stream, payload: payload))
        }
        return frames
    }
}
