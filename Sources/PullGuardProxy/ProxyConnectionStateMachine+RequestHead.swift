import NIOHTTP1
import PullGuardHTTP

/// Reading what a request head asks for beyond a plain exchange, in one pass over
/// its headers that only looks closer at names of length 6, 7 and 10.
extension ProxyExchangeStateMachine.RequestHead {
    private static let expectName = HeaderNameMatcher(["expect"])
    private static let upgradeName = HeaderNameMatcher(["upgrade"])
    private static let connectionName = HeaderNameMatcher(["connection"])
    private static let upgradeToken = HeaderNameMatcher(["upgrade"])
    private static let websocketToken = HeaderNameMatcher(["websocket"])
    private static let continueValue = HeaderNameMatcher(["100-continue"])

    /// The upgrade is what NIO's decoder (llhttp) treats as one: `Connection` lists
    /// `upgrade` and an `Upgrade` header is present; only then does it stop parsing.
    init(_ head: HTTPRequestHead) {
        var expectsContinue = false
        var upgradeHeader = false
        var websocket = false
        var connectionUpgrade = false
        let isHTTP11 = head.version.major == 1 && head.version.minor >= 1
        for (name, value) in head.headers {
            switch name.utf8.count {
            case 6 where isHTTP11 && Self.expectName.matches(name):
                expectsContinue = expectsContinue || Self.continueValue.matches(value.trimmingASCIISpaces())
            case 7 where Self.upgradeName.matches(name):
                upgradeHeader = true
                HeaderPolicy.forEachToken(in: value) { token in
                    if Self.websocketToken.matches(utf8: token) { websocket = true }
                }
            case 10 where Self.connectionName.matches(name):
                HeaderPolicy.forEachToken(in: value) { token in
                    if Self.upgradeToken.matches(utf8: token) { connectionUpgrade = true }
                }
            default:
                break
            }
        }
        let upgrade: ProxyExchangeStateMachine.Upgrade
        if connectionUpgrade && upgradeHeader {
            upgrade = websocket && isHTTP11 ? .websocket : .other
        } else {
            upgrade = .none
        }
        self.init(keepAlive: head.isKeepAlive, expectsContinue: expectsContinue, upgrade: upgrade)
    }
}
