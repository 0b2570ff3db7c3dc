import NIOCore

/// HTTP/2's limits for every connection that negotiates `h2` (`http2:` in the
/// configuration). Each bounds what one client can make the server hold or do; the
/// defaults follow nginx and Envoy where they have one.
public struct HTTP2Settings: Sendable, Hashable {
    /// SETTINGS_MAX_CONCURRENT_STREAMS (nginx `http2_max_concurrent_streams` 128).
    public var maxConcurrentStreams: Int
    /// SETTINGS_MAX_HEADER_LIST_SIZE: a request's header block, decoded (nginx 1.19+:
    /// `large_client_header_buffers`, 32 KiB); a larger block resets the stream.
    public var maxHeaderListSize: Int
    /// SETTINGS_HEADER_TABLE_SIZE: the HPACK table the client may make PullGuard keep.
    public var headerTableSize: Int
    /// CONTINUATION frames allowed after one HEADERS (CVE-2024-27316 and kin).
    public var maxContinuations: Int
    /// Stream resets (RST_STREAM from the client, or streams PullGuard had to reset) per
    /// connection: a burst, refilled at `streamResetRate` per second; beyond it the
    /// connection gets GOAWAY (rapid reset, CVE-2023-44487).
    public var streamResetBurst: Int
    public var streamResetRate: Int
    /// Frames PullGuard must answer (PING and SETTINGS acknowledgements) that may wait to
    /// be sent; beyond it the client is flooding and the connection ends.
    public var maxOutboundAcks: Int
    /// SETTINGS entries one client may send over the connection's life.
    public var maxSettings: Int
    /// DATA frames with no payload and no END_STREAM per connection: legal but useless,
    /// a known CPU flood (CVE-2019-9518); beyond it, GOAWAY.
    public var maxEmptyDataFrames: Int
    /// A stream with no frame in either direction for this long is reset.
    public var streamIdle: TimeAmount

    public init(maxConcurrentStreams: Int = 128, maxHeaderListSize: Int = 32 * 1024, headerTableSize: Int = 4096,
                maxContinuations: Int = 8, streamResetBurst: Int = 1000, streamResetRate: Int = 33,
                maxOutboundAcks: Int = 1000, maxSettings: Int = 32, maxEmptyDataFrames: Int = 100,
                streamIdle: TimeAmount = .seconds(60)) {
        self.maxConcurrentStreams = maxConcurrentStreams
        self.maxHeaderListSize = maxHeaderListSize
        self.headerTableSize = headerTableSize
        self.maxContinuations = maxContinuations
        self.streamResetBurst = streamResetBurst
        self.streamResetRate = streamResetRate
        self.maxOutboundAcks = maxOutboundAcks
        self.maxSettings = maxSettings
        self.maxEmptyDataFrames = maxEmptyDataFrames
        self.streamIdle = streamIdle
    }
}
