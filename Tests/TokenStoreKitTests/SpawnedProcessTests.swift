import Foundation
import Testing
import TokenStoreTesting

#if canImport(Glibc)
    import Glibc
#endif

/// Children of the test process hold no descriptor of it: one that did kept another
/// child's pipe or exit-notification socket open (Foundation's `Process`), and a daemon
/// it started (a restarted test server) kept it open for the rest of the run.
@Suite("SpawnedProcess", .inProcessTimeLimit)
struct SpawnedProcessTests {
    /// The descriptors open in process `pid`.
    static func descriptors(of pid: pid_t) throws -> Set<Int32> {
        Set(try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").compactMap { Int32($0) })
    }

    @Test("a child inherits only its standard input, output and error")
    func inheritsNoDescriptor() async throws {
        // Descriptors that do not close on exec, as Foundation's pipes and socket pairs.
        var pipeEnds: [Int32] = [-1, -1]
        try #require(pipe(&pipeEnds) == 0)
        var socketEnds: [Int32] = [-1, -1]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &socketEnds) == 0)
        defer { for fd in pipeEnds + socketEnds { close(fd) } }

        let child = try SpawnedProcess.spawn("/bin/sleep", ["600"])
        // A program opens files while it starts (the dynamic loader its libraries, the C
        // library its locale data) and closes them again; an inherited descriptor would
        // stay. So: only 0, 1 and 2 within a bound, not at one instant.
        var held: Set<Int32> = []
        await #expect(throws: Never.self) {
            try await eventually("the child holds only 0, 1 and 2", within: .seconds(30)) {
                held = try Self.descriptors(of: child.pid)
                return held == [0, 1, 2]
            }
        }
        child.send(SIGKILL)
        _ = await child.wait()
        #expect(held == [0, 1, 2])
    }

    @Test("a piped child reads its input and its output ends when it exits")
    func piped() async throws {
        let child = try SpawnedProcess.spawnPiped("/bin/cat", [])
        try child.input.write(contentsOf: Data("ping\n".utf8))
        #expect(await child.read(until: "ping").hasPrefix("ping"))
        // Checked once `cat` has echoed, i.e. has started and waits on its input: a file
        // opened while the program starts (libraries, locale data) is closed by then.
        let held = try Self.descriptors(of: child.process.pid)
        #expect(held == [0, 1, 2])
        try child.input.close()
        #expect(await child.read() == "")
        let outcome = await child.process.wait()
        #expect(outcome.status == 0 && outcome.signal == nil)
    }
}
