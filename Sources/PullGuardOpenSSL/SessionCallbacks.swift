internal import COpenSSL
import Foundation

// OpenSSL's session-cache callbacks (`SSL_CTX_sess_set_new_cb`, `_get_cb`, `_remove_cb`).
// Each recovers its Swift owner and hands over plain bytes; the decisions are made by
// `OpenSSLConnection` and `SessionBinding`, the storage by `SessionStore`.

/// A session OpenSSL has just made (full handshake, or the ticket of a TLS 1.3 resumption).
/// Returning 1 keeps the reference OpenSSL passed in; 0 lets OpenSSL free it.
func newSessionTrampoline(ssl: OpaquePointer?, session: OpaquePointer?) -> Int32 {
    guard let ssl, let session, let connection = OpenSSLConnection.owner(of: ssl),
          let id = sessionID(session) else { return 0 }
    return connection.storeNewSession(session, id: id) ? 1 : 0
}

/// A client offers a session ID (TLS 1.2) or a stateful ticket (TLS 1.3). Returning nil makes
/// OpenSSL fall back to a full handshake. The returned session carries a reference taken for
/// OpenSSL (`*copy = 0`: the store took it under its lock).
func getSessionTrampoline(ssl: OpaquePointer?, id: UnsafePointer<UInt8>?, length: Int32,
                          copy: UnsafeMutablePointer<Int32>?) -> OpaquePointer? {
    copy?.pointee = 0
    guard let ssl, let id, length > 0, let connection = OpenSSLConnection.owner(of: ssl) else { return nil }
    return connection.lookUpSession(id: Array(UnsafeBufferPointer(start: id, count: Int(length))))
}

/// OpenSSL drops a session (a connection that failed, or one it found timed out).
func removeSessionTrampoline(context: OpaquePointer?, session: OpaquePointer?) {
    guard let session, let owner = OpenSSLServerContext.owner(of: context), let id = sessionID(session) else { return }
    owner.sessions.remove(id: id)
}

private func sessionID(_ session: OpaquePointer) -> [UInt8]? {
    var length: UInt32 = 0
    guard let bytes = SSL_SESSION_get_id(session, &length), length > 0 else { return nil }
    return Array(UnsafeBufferPointer(start: bytes, count: Int(length)))
}
