import Foundation
import PullGuardTestSupport

/// A real HTTP/2 server for the load generator's HTTP/2 client: the system nginx started
/// from its own temporary prefix (never the system configuration), `listen … ssl http2`,
/// client certificate required against the test PKI, answering `200 ok` itself. Logs each
/// request's protocol and status, so tests check what nginx actually parsed. Stopped by PID.
struct NginxHTTP2Server {
    static let binary = "/usr/sbin/nginx"

    /// nginx is installed and built with the HTTP/2 module (`nginx -V` names it).
    static var available: Bool {
        guard FileManager.default.isExecutableFile(atPath: binary),
              let result = try? CommandRunner.run(binary, ["-V"], timeout: 10) else { return false }
        return (result.stdout + result.stderr).contains("--with-http_v2_module")
    }

    let directory: URL
    let process: Process
    let port: Int

    /// Starts nginx on a free loopback port; `keepaliveRequests` is nginx's limit of
    /// requests per connection (for HTTP/2, streams), after which it sends GOAWAY.
    static func start(keepaliveRequests: Int = 1000) throws -> NginxHTTP2Server {
        var lastError: Error?
        // A free port is found by binding port 0 and releasing it: retry if another process took it meanwhile.
        for _ in 0..<3 {
            do {
                return try launch(port: try freePort(), keepaliveRequests: keepaliveRequests)
            } catch {
                lastError = error
            }
        }
        throw lastError ?? NginxError(message: "nginx did not start")
    }

    private static func launch(port: Int, keepaliveRequests: Int) throws -> NginxHTTP2Server {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pullguard-nginx-h2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        let dir = directory.path
        let config = """
            worker_processes 1;
            daemon off;
            pid \(dir)/nginx.pid;
            error_log \(dir)/error.log warn;
            events { worker_connections 256; }
            http {
                client_body_temp_path \(dir)/tmp/body;
                proxy_temp_path \(dir)/tmp/proxy;
                fastcgi_temp_path \(dir)/tmp/fastcgi;
                uwsgi_temp_path \(dir)/tmp/uwsgi;
                scgi_temp_path \(dir)/tmp/scgi;
                log_format protocol '$server_protocol $status $ssl_client_verify';
                access_log \(dir)/access.log protocol;
                keepalive_requests \(keepaliveRequests);
                server {
                    listen 127.0.0.1:\(port) ssl http2;
                    server_name localhost;
                    ssl_certificate \(ProxyScenario.file("server.pem"));
                    ssl_certificate_key \(ProxyScenario.file("server.key"));
                    ssl_client_certificate \(ProxyScenario.file("root.pem"));
                    ssl_verify_client on;
                    location / { return 200 "ok\\n"; }
                }
            }
            """
        let file = directory.appendingPathComponent("nginx.conf")
        try Data(config.utf8).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-p", dir, "-c", file.path, "-e", "\(dir)/error.log"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = NginxHTTP2Server(directory: directory, process: process, port: port)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if !process.isRunning {
                let log = (try? String(contentsOf: directory.appendingPathComponent("error.log"), encoding: .utf8)) ?? ""
                throw NginxError(message: "nginx exited (\(process.terminationStatus)): \(log)")
            }
            if canConnect(port: port) { return server }
            Thread.sleep(forTimeInterval: 0.05)
        }
        server.stop()
        throw NginxError(message: "nginx did not listen on 127.0.0.1:\(port) within 10 s")
    }

    /// SIGTERM to the master we started (it stops its worker), then wait for it.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The access log's lines, one per request nginx answered: `HTTP/2.0 200 SUCCESS`.
    /// nginx writes the log line when the request ends, before the next connection is counted.
    func accessLog() -> [Substring] {
        let text = (try? String(contentsOf: directory.appendingPathComponent("access.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n")
    }

    struct NginxError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw NginxError(message: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw NginxError(message: "bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
