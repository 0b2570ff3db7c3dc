internal import CNGHTTP2
#if canImport(Glibc)
import Glibc
#endif

/// The allocator of one `nghttp2_session` (`nghttp2_mem`): `malloc` for everything but
/// nghttp2's outbound frame buffer, which gets pages of its own that an idle connection
/// gives back.
///
/// Why: every session allocates a 16 KiB buffer to serialize outbound frames into (a DATA
/// frame's whole payload fits), and keeps it for the connection's life; from the heap it
/// stays resident once touched, and it was most of what an idle HTTP/2 connection costs
/// beyond an HTTP/1.1 one (docs/performance.md). Mapped on its own, only the pages a
/// frame touched are resident, and `releaseIdlePages` (no stream open, nothing to send)
/// returns them; the next frame faults them back in, zero-filled, which nghttp2 does not
/// mind: it writes a frame before it reads it.
///
/// The trampolines only allocate and free; none calls nghttp2.
final class NGHTTP2SessionMemory {
    /// Requests at least this large are mapped: the frame buffer (16 384 + 10 bytes), and
    /// the rare header block that outgrows it.
    static let mappedThreshold = 16 * 1024
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// The mapped regions, by address: few (one frame buffer, sometimes a second).
    /// Not checked for exclusive access at run time: only this class's own methods touch
    /// it, none calls out while holding it, and the check on every `free` nghttp2 makes
    /// was ~1% of an HTTP/2 request's instructions (callgrind).
    @exclusivity(unchecked) private var mapped: [(address: UnsafeMutableRawPointer, length: Int, size: Int)] = []

    /// The `nghttp2_mem` to create the session with; valid while `self` is.
    var allocator: nghttp2_mem {
        nghttp2_mem(mem_user_data: Unmanaged.passUnretained(self).toOpaque(),
                    malloc: { size, user in NGHTTP2SessionMemory.with(user) { $0.allocate(size) } },
                    free: { pointer, user in NGHTTP2SessionMemory.with(user) { $0.release(pointer) } },
                    calloc: { count, size, user in NGHTTP2SessionMemory.with(user) { $0.allocateZeroed(count, size) } },
                    realloc: { pointer, size, user in NGHTTP2SessionMemory.with(user) { $0.reallocate(pointer, size) } })
    }

    /// Bytes currently mapped (for tests).
    var mappedBytes: Int { mapped.reduce(0) { $0 + $1.length } }

    /// Gives the mapped pages back to the kernel. Only while the session has nothing to
    /// send: the frame buffer then holds no frame.
    func releaseIdlePages() {
        for region in mapped { _ = madvise(region.address, region.length, MADV_DONTNEED) }
    }

    /// Without a retain and release per call (nghttp2 allocates a few dozen times per
    /// request): the session keeps its allocator alive as long as nghttp2 can call it.
    private static func with<R>(_ user: UnsafeMutableRawPointer?, _ body: (NGHTTP2SessionMemory) -> R) -> R {
        Unmanaged<NGHTTP2SessionMemory>.fromOpaque(user!)._withUnsafeGuaranteedRef(body)
    }

    private func allocate(_ size: Int) -> UnsafeMutableRawPointer? {
        guard size >= Self.mappedThreshold else { return malloc(size) }
        let length = (size + Self.pageSize - 1) / Self.pageSize * Self.pageSize
        let address = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let address, address != MAP_FAILED else { return nil }
        mapped.append((address, length, size))
        return address
    }

    /// Fresh mappings are zero already; `calloc` for the rest.
    private func allocateZeroed(_ count: Int, _ size: Int) -> UnsafeMutableRawPointer? {
        let (total, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow else { return nil }
        return total >= Self.mappedThreshold ? allocate(total) : calloc(count, size)
    }

    private func release(_ pointer: UnsafeMutableRawPointer?) {
        guard let pointer else { return }
        if let index = mapped.firstIndex(where: { $0.address == pointer }) {
            munmap(pointer, mapped[index].length)
            mapped.remove(at: index)
        } else {
            free(pointer)
        }
    }

    private func reallocate(_ pointer: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
        guard let pointer else { return allocate(size) }
        // A heap block stays on the heap, whatever it grows to: only fresh large blocks
        // (the frame buffer) are worth their own pages.
        guard let index = mapped.firstIndex(where: { $0.address == pointer }) else { return realloc(pointer, size) }
        guard let moved = allocate(size) else { return nil }
        moved.copyMemory(from: pointer, byteCount: min(mapped[index].size, size))
        release(pointer)
        return moved
    }
}
