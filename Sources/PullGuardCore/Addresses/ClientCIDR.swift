/// One `client_ips` entry: an IPv4 or IPv6 network, written `address/prefix` (a bare
/// address is a /32 or a /128).
///
/// Strict on purpose: an address with bits set after the prefix (`10.0.0.1/8`) is an
/// error rather than silently widened to `10.0.0.0/8` as nginx does (with a warning),
/// because the person who wrote it meant one of two different things and an allow-list
/// must not guess which.
public enum ClientCIDR: Sendable, Hashable, CustomStringConvertible {
    case v4(address: UInt32, prefix: Int)
    case v6(address: UInt128, prefix: Int)

    /// Why a text is not a CIDR; `message` names the text.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Parses `192.0.2.0/24`, `192.0.2.7`, `2001:db8::/32`, `::1`, `::ffff:192.0.2.7`.
    /// No spaces, no zone (`%eth0`), no leading zeros in IPv4 parts (they read as octal elsewhere).
    public init(parsing text: some StringProtocol) throws(ParseError) {
        let text = Substring(text)
        let addressText: Substring
        var prefix: Int?
        if let slash = text.firstIndex(of: "/") {
            addressText = text[..<slash]
            let prefixText = text[text.index(after: slash)...]
            guard let value = Self.decimal(prefixText, maxDigits: 3) else {
                throw ParseError(message: "'\(text)': the prefix length after / must be a number")
            }
            prefix = value
        } else {
            addressText = text
        }
        if addressText.contains(":") {
            guard let address = IPAddressText.ipv6(addressText) else {
                throw ParseError(message: "'\(text)' is not an IPv6 address or network (e.g. 2001:db8::/32)")
            }
            let bits = prefix ?? 128
            guard bits <= 128 else { throw ParseError(message: "'\(text)': an IPv6 prefix is at most 128") }
            guard address & ~Self.mask128(bits) == 0 else {
                let network = ClientCIDR.v6(address: address & Self.mask128(bits), prefix: bits)
                throw ParseError(message: "'\(text)' has bits set after the /\(bits) prefix; write the network, \(network)")
            }
            self = .v6(address: address, prefix: bits)
        } else {
            guard let address = IPAddressText.ipv4(addressText) else {
                throw ParseError(message: "'\(text)' is not an IPv4 or IPv6 address or network (e.g. 192.0.2.0/24)")
            }
            let bits = prefix ?? 32
            guard bits <= 32 else { throw ParseError(message: "'\(text)': an IPv4 prefix is at most 32") }
            guard address & ~Self.mask32(bits) == 0 else {
                let network = ClientCIDR.v4(address: address & Self.mask32(bits), prefix: bits)
                throw ParseError(message: "'\(text)' has bits set after the /\(bits) prefix; write the network, \(network)")
            }
            self = .v4(address: address, prefix: bits)
        }
    }

    /// The network's first and last address.
    public var ipv4Range: ClosedRange<UInt32>? {
        guard case .v4(let address, let prefix) = self else { return nil }
        return address...(address | ~Self.mask32(prefix))
    }

    public var ipv6Range: ClosedRange<UInt128>? {
        guard case .v6(let address, let prefix) = self else { return nil }
        return address...(address | ~Self.mask128(prefix))
    }

    public var description: String {
        switch self {
        case .v4(let address, let prefix): "\(IPAddressText.format(ipv4: address))/\(prefix)"
        case .v6(let address, let prefix): "\(IPAddressText.format(ipv6: address))/\(prefix)"
        }
    }

    static func mask32(_ prefix: Int) -> UInt32 { prefix == 0 ? 0 : ~0 << (32 - prefix) }
    static func mask128(_ prefix: Int) -> UInt128 { prefix == 0 ? 0 : ~0 << (128 - prefix) }

    /// ASCII digits only (no sign, no spaces), no leading zero, at most `maxDigits`.
    static func decimal(_ text: Substring, maxDigits: Int) -> Int? {
        guard !text.isEmpty, text.count <= maxDigits, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        if text.count > 1, text.first == "0" { return nil }
        return Int(text)
    }
}
