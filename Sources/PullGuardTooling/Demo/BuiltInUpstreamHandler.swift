import NIOCore
import NIOHTTP1

/// One connection of `BuiltInUpstream`: answers per the path, see there.
///
/// `/echo` keeps backpressure like a real server: while the echo cannot be written
/// (the proxy stopped reading), the request body is not read either, so a client
/// that does not read its response stalls its own upload instead of filling memory here.
final class BuiltInUpstreamHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var readPending = false

    func read(context: ChannelHandlerContext) {
        if echoing && !context.channel.isWritable {
            readPending = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable && readPending {
            readPending = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    private let log: RequestLog
    private let connectionNumber: Int
    private var head: HTTPRequestHead?
    /// Set for `/echo` once the response head went out: body parts go straight back.
    private var echoing = false

    init(log: RequestLog, connectionNumber: Int) {
        self.log = log
        self.connectionNumber = connectionNumber
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            log.append(.init(method: head.method, uri: head.uri, headers: head.headers,
                             connectionNumber: connectionNumber))
            if path(head.uri) == "/echo" {
                echoing = true
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/octet-stream")
                if let length = head.headers.first(name: "content-length") {
                    headers.add(name: "Content-Length", value: length)
                }
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok,
                                                                             headers: headers))), promise: nil)
            }
        case .body(let bytes):
            if echoing { context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil) }
        case .end:
            guard let head else { return }
            self.head = nil
            if echoing {
                echoing = false
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            } else if path(head.uri) == "/slow" {
                let delay = TimeAmount.milliseconds(Int64(query(head.uri, "ms") ?? "") ?? 1000)
                context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
                    answer(context: context, head: head)
                }
            } else {
                answer(context: context, head: head)
            }
        }
    }

    private func answer(context: ChannelHandlerContext, head: HTTPRequestHead) {
        guard context.channel.isActive else { return }
        var text = "hello from the PullGuard demo upstream\n"
        for (name, value) in head.headers where name.lowercased().hasPrefix("x-client-") {
            text += "\(name): \(value)\n"
        }
        text += "\(head.method.rawValue) \(head.uri) HTTP/\(head.version.major).\(head.version.minor)\n"
        let body = context.channel.allocator.buffer(string: text)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(body.readableBytes)")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))),
                      promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func path(_ uri: String) -> Substring {
        uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    }

    private func query(_ uri: String, _ key: String) -> String? {
        guard let q = uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in q.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.first == Substring(key) { return kv.count > 1 ? String(kv[1]) : "" }
        }
        return nil
    }
}
