import NIOCore
import PullGuardCore

/// Gives a connection's handshake slot back to the `ConnectionGate` once its TLS handshake
/// finished, then leaves the pipeline, so established connections pay nothing for it.
/// The connection slot is given back by the channel's close future (see `PullGuardServer`).
final class HandshakeSlotHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    /// Shared with the close-future callback on the same event loop: whether the slot went back.
    final class Slot {
        var released = false
    }

    private let gate: ConnectionGate
    let slot = Slot()

    init(gate: ConnectionGate) {
        self.gate = gate
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is TLSConnectionEstablished, !slot.released {
            slot.released = true
            gate.handshakeFinished()
            context.fireUserInboundEventTriggered(event)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
