/// The form in which two header names count as one: ASCII case ignored, and `_` read as `-`.
///
/// Some upstream stacks (CGI, PHP, WSGI, nginx with `underscores_in_headers`) map
/// `X_Client_Verify` and `X-Client-Verify` to the same variable. Anti-spoofing drops both
/// spellings of a name PullGuard sets, and the configuration refuses two names (or a name
/// PullGuard owns) that are the same in this form, by this one rule.
public enum HeaderNameForm {
    public static func of(_ name: String) -> String {
        var bytes = Array(name.utf8)
        for index in bytes.indices {
            switch bytes[index] {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): bytes[index] += 32
            case UInt8(ascii: "_"): bytes[index] = UInt8(ascii: "-")
            default: break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
