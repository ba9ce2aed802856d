import Foundation
import Glibc
import Synchronization

/// A scripted stand-in for Redis on loopback, for faults a real server will not produce on
/// demand: silence, or half a reply followed by a closed connection.
///
/// It answers the commands a store sends while opening (PING, AUTH, SELECT, INFO, SET,
/// GET, SCRIPT) like Redis 7, and misbehaves on the command named by ``Behaviour``. Each
/// client is served by its own thread with blocking sockets (test code, not the library).
final class FakeRedisServer: Sendable {
    enum Behaviour: Sendable {
        /// Accept and read, never write a byte.
        case silent
        /// Behave until `command` arrives, then never answer it.
        case silentOn(String)
        /// Behave until `command` arrives, then write half a bulk reply and close.
        case halfReplyOn(String)
        /// Behave until `command` arrives, then announce a bulk string of 1 GiB, send a
        /// little of it and keep the connection open.
        case hugeBulkOn(String)
        /// Behave until `command` arrives, then send an array whose small elements never
        /// end, until the client goes away.
        case endlessArrayOn(String)
    }

    let port: Int
    private let listener: Int32
    private let behaviour: Behaviour
    private let clients = Mutex<[Int32]>([])
    private let stopped = Atomic<Bool>(false)

    init(_ behaviour: Behaviour) throws {
        self.behaviour = behaviour
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        self.listener = fd
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    var url: String { "redis://127.0.0.1:\(port)/0" }

    /// Closes the listener and every client connection.
    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        // Under the lock: a client thread removes its descriptor before closing it, so
        // this never shuts down a reused descriptor number.
        clients.withLock { fds in
            for fd in fds { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .acquiring) {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            clients.withLock { $0.append(client) }
            Thread.detachNewThread { [self] in serve(client) }
        }
    }

    private func serve(_ fd: Int32) {
        defer {
            clients.withLock { fds in
                fds.removeAll { $0 == fd }
                close(fd)
            }
        }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return }
            buffer.append(contentsOf: chunk[0..<count])
            if case .silent = behaviour { continue }
            while let (command, used) = Self.parseCommand(buffer) {
                buffer.removeFirst(used)
                let name = command.first?.uppercased() ?? ""
                switch behaviour {
                case .silentOn(let trigger) where trigger == name:
                    // Hold the connection open and answer nothing more.
                    while recv(fd, &chunk, chunk.count, 0) > 0 {}
                    return
                case .halfReplyOn(let trigger) where trigger == name:
                    write(fd, "$20\r\nhalf a rep")
                    return
                case .hugeBulkOn(let trigger) where trigger == name:
                    write(fd, "$1073741824\r\n" + String(repeating: "x", count: 4096))
                    while recv(fd, &chunk, chunk.count, 0) > 0 {}
                    return
                case .endlessArrayOn(let trigger) where trigger == name:
                    write(fd, "*60000000\r\n")
                    let elements = Array(String(repeating: ":1\r\n", count: 4096).utf8)
                    while !stopped.load(ordering: .acquiring),
                        elements.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) > 0
                    {}
                    return
                default:
                    write(fd, Self.reply(to: command))
                }
            }
        }
    }

    private func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        _ = send(fd, &bytes, bytes.count, Int32(MSG_NOSIGNAL))
    }

    private static func reply(to command: [String]) -> String {
        switch command.first?.uppercased() ?? "" {
        case "PING": return "+PONG\r\n"
        case "AUTH", "SELECT", "SET": return "+OK\r\n"
        case "INFO":
            let info = "# Server\r\nredis_version:7.0.0\r\n"
            return "$\(info.utf8.count)\r\n\(info)\r\n"
        case "GET": return "$1\r\n1\r\n"
        // The schema raise at open: nothing raised (the fake's schema key stays "1").
        case "EVAL": return ":0\r\n"
        case "SCRIPT": return "$40\r\n" + String(repeating: "0", count: 40) + "\r\n"
        default: return "-ERR the fake server does not know this command\r\n"
        }
    }

    /// One complete RESP array of bulk strings at the start of `buffer`, and its length.
    private static func parseCommand(_ buffer: [UInt8]) -> ([String], Int)? {
        var index = 0
        func line() -> String? {
            var end = index
            while end + 1 < buffer.count {
                if buffer[end] == 13 && buffer[end + 1] == 10 {
                    let text = String(decoding: buffer[index..<end], as: UTF8.self)
                    index = end + 2
                    return text
                }
                end += 1
            }
            return nil
        }
        guard let header = line(), header.hasPrefix("*"), let count = Int(header.dropFirst()) else { return nil }
        var parts: [String] = []
        for _ in 0..<count {
            guard let lengthLine = line(), lengthLine.hasPrefix("$"), let length = Int(lengthLine.dropFirst()),
                index + length + 2 <= buffer.count
            else { return nil }
            parts.append(String(decoding: buffer[index..<(index + length)], as: UTF8.self))
            index += length + 2
        }
        return (parts, index)
    }
}
