import Foundation

/// A raw client in Python (`socket`, and `ssl` with a client certificate for the real
/// binary) that sends what no browser would and reports what it saw, one `key=value`
/// line per observation. The scenario is Python code run with `s` connected and the
/// helpers below defined; every wait is bounded (`s.settimeout`, default 5 s).
public enum RawClient {
    public struct TLS: Sendable {
        public var ca: String
        public var cert: String
        public var key: String
        public var serverName: String
        public init(ca: String, cert: String, key: String, serverName: String = "localhost") {
            self.ca = ca
            self.cert = cert
            self.key = key
            self.serverName = serverName
        }
    }

    static let prelude = """
        import socket, ssl, sys, time
        def connect():
            raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
            if len(sys.argv) > 2:
                ctx = ssl.create_default_context(cafile=sys.argv[2])
                ctx.load_cert_chain(sys.argv[3], sys.argv[4])
                return ctx.wrap_socket(raw, server_hostname=sys.argv[5])
            return raw
        def report(key, value):
            print(f"{key}={value!r}", flush=True)
        def read_until(s, marker, limit=1 << 20):
            data = b""
            while marker not in data and len(data) < limit:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    return data, "timeout"
                except (ConnectionResetError, ssl.SSLError, OSError):
                    return data, "reset"
                if not chunk:
                    return data, "eof"
                data += chunk
            return data, "found"
        def wait_closed(s, seconds):
            s.settimeout(seconds)
            start = time.monotonic()
            data = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    return data, "open"
                except (ConnectionResetError, ssl.SSLError, OSError):
                    return data, "closed"
                if not chunk:
                    return data, "closed"
                data += chunk
        s = connect()

        """

    /// Runs `scenario` against `127.0.0.1:port` and returns its `key=value` lines.
    public static func run(port: Int, tls: TLS? = nil, _ scenario: String) throws -> [String: String] {
        var arguments = ["-c", prelude + scenario, "\(port)"]
        if let tls { arguments += [tls.ca, tls.cert, tls.key, tls.serverName] }
        let result = try CommandRunner.run("python3", arguments, timeout: 30)
        var values: [String: String] = ["exit": "\(result.exitCode)", "stderr": result.stderr]
        for line in result.stdout.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }
}
