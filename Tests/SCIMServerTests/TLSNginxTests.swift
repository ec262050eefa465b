import Foundation
import Testing
import TestSupport

/// The documented alternative: Debian's nginx (the distribution's OpenSSL) terminates TLS and
/// proxies to `serve` on loopback started with a public https URL.
@Suite("TLS: Debian nginx as a reverse proxy", .tags(.e2e, .live), .timeLimit(.minutes(5)))
struct TLSNginxTests {
    @Test("a SCIM create through nginx over HTTPS reaches the server; Location carries the public https URL")
    func scimThroughNginx() async throws {
        guard let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            Issue.record("nginx is not installed: apt-get install nginx-light (the test runs it in the foreground on a loopback port; the system service is never started)")
            return
        }
        let work = try temporaryDirectory("nginx")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let pki = TestPKI(directory: work)
        try await pki.makeCA("ca")
        try await pki.makeServer("server", ca: "ca", serial: "4004")
        let port = try freeLoopbackPort()
        let publicURL = "https://127.0.0.1:\(port)"

        try await withServer(publicURL: publicURL, transport: .live) { server in
            let upstream = try #require(server.baseURL.split(separator: ":").last.flatMap { Int($0) })
            try writeFile(work + "/nginx.conf", """
                daemon off;
                master_process off;
                worker_processes 1;
                pid \(work)/nginx.pid;
                error_log \(work)/error.log info;
                events { worker_connections 64; }
                http {
                    access_log \(work)/access.log;
                    client_body_temp_path \(work)/client_body;
                    proxy_temp_path \(work)/proxy;
                    fastcgi_temp_path \(work)/fastcgi;
                    uwsgi_temp_path \(work)/uwsgi;
                    scgi_temp_path \(work)/scgi;
                    server {
                        listen 127.0.0.1:\(port) ssl;
                        server_name localhost;
                        ssl_certificate \(pki.path("server.pem"));
                        ssl_certificate_key \(pki.path("server.key"));
                        ssl_protocols TLSv1.2 TLSv1.3;
                        client_max_body_size 1m;
                        location / {
                            proxy_pass http://127.0.0.1:\(upstream);
                            proxy_http_version 1.1;
                            proxy_set_header Host $host;
                            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                            proxy_set_header X-Forwarded-Proto https;
                        }
                    }
                }
                """, mode: 0o644)
            let tested = try await run(nginx, ["-t", "-p", work, "-c", work + "/nginx.conf", "-e", work + "/error.log"])
            try #require(tested.status == 0, "nginx -t: \(tested.output)")
            let proxy = try await ChildProcess.start(nginx, ["-p", work, "-c", work + "/nginx.conf", "-e", work + "/error.log"], output: .file(work + "/nginx.out"))
            defer { proxy.stop() }
            var ready = false
            for _ in 0..<100 {
                if try await pki.servedSerial(port: port) == "4004" { ready = true; break }
                try await Task.sleep(for: .milliseconds(100))
            }
            try #require(ready, "nginx did not come up: \(proxy.output) \((try? String(contentsOfFile: work + "/error.log", encoding: .utf8)) ?? "")")

            let created = try await httpsRequest(publicURL + "/scim/default/Users", method: .POST, token: server.token,
                                                 body: userBody("grace.hopper@example.com", posixName: "grace", uid: 100002),
                                                 caFile: pki.path("ca.pem"))
            #expect(created.status == 201, "\(created.text)")
            let location = created.headers.first(name: "Location") ?? ""
            #expect(location.hasPrefix(publicURL + "/scim/default/Users/"), "Location \(location)")
            let users = try await server.allUsers()
            #expect(users.contains { $0["userName"]?.stringValue == "grace.hopper@example.com" }, "the write reached the server")
            let access = (try? String(contentsOfFile: work + "/access.log", encoding: .utf8)) ?? ""
            #expect(access.contains("POST /scim/default/Users"), "nginx logged the proxied request: \(access)")
            #expect(!access.contains(server.token), "the bearer token is not in nginx's log")
        }
    }
}
