import NIOCore
import PullGuardObservability
import NIOHTTP1
import PullGuardHTTP

extension HTTPProxyHandler: UpstreamConnectionDelegate {
    func upstreamResponsePart(_ part: UpstreamResponsePart) {
        guard let context else { return }
        switch part {
        case .head(let head):
            // The upstream's end-to-end fields go straight from its head's bytes into the
            // client's head (no strings, no `HTTPHeaders`).
            var response = HTTP1ResponseWriter.Head(relaying: head, version: requestVersion, answering: requestMethod,
                                                    allocator: context.channel.allocator)
            let upstreamKeepAlive = response.addFields(of: head)
            let closeDelimited = requestVersion.minor == 0 && !response.hasContentLength
            let action = machine.responseHead(closeDelimited: closeDelimited,
                                              switchingProtocols: head.status == .switchingProtocols,
                                              upstreamKeepAlive: head.version == .http1_1 && upstreamKeepAlive)
            if case .exchange(.startTunnel) = action {
                countResponse(status: Int(head.status.code))
                // A tunnel may stay open for hours: its line is written when it starts.
                exchangeLog?.responseHead(status: Int(head.status.code))
                writeExchangeLog()
                return startTunnel(response: response)
            }
            guard case .exchange(.writeResponseHead(let closeConnection)) = action else { return perform(action) }
            countResponse(status: Int(head.status.code))
            exchangeLog?.responseHead(status: Int(head.status.code))
            responseDeadline = nil
            let connection: HTTP1ResponseWriter.ConnectionField =
                closeConnection ? .close : requestVersion.minor == 0 ? .keepAlive : .none
            writeResponseHead(response, connection: connection)
        case .body(let bytes):
            let action = machine.responseBodyPart()
            guard case .exchange(.writeResponsePart) = action else { return perform(action) }
            exchangeLog?.bodyOut(bytes.readableBytes)
            writeResponseBody(bytes)
        case .end:
            // Trailers are dropped: `Trailer`/`TE` are hop-by-hop and not negotiated here.
            perform(machine.responseEnd())
        }
    }

    func upstreamReadComplete() {
        guard let context else { return }
        context.flush()
        guard let upstream else { return }
        if context.channel.isWritable {
            upstream.read()
        } else {
            upstreamReadPending = true
        }
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        if isWritable { resumeClientReadsIfPossible() }
    }

    func upstreamClosed(error: Error?) {
        guard upstream != nil else { return }
        if let error { logger.debug("upstream connection error: \(error)", metadata: logMetadata) }
        let action = machine.upstreamFailed(ProxyFailure(upstreamClosedWith: error))
        if case .closeDownstream = action {
            logger.error("upstream closed the connection mid-response; closing the client connection", metadata: logMetadata)
        }
        perform(action)
    }
}
