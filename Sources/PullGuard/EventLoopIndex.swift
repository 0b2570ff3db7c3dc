import NIOCore

/// Each event loop's position in the server's group: which block of `PullGuardMetrics`
/// its connections count into. Built once when the group exists, then only read, so
/// looking a loop up per connection takes no lock.
struct EventLoopIndex: Sendable {
    private let positions: [ObjectIdentifier: Int]

    init(_ group: EventLoopGroup) {
        var positions: [ObjectIdentifier: Int] = [:]
        for (position, loop) in group.makeIterator().enumerated() { positions[ObjectIdentifier(loop)] = position }
        self.positions = positions
    }

    /// `loop`'s position; 0 for a loop outside the group (none is: child channels run on the group's loops).
    func position(of loop: EventLoop) -> Int {
        positions[ObjectIdentifier(loop)] ?? 0
    }
}
