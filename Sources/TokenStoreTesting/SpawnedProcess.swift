import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child process for tests, started with posix_spawn and reaped with waitpid on a thread
/// of its own.
///
/// The child inherits no descriptor but its standard input, output and error. Foundation's
/// `Process` on Linux learns that a child ended when the child's end of a socket pair
/// closes, and reads a child's output until its pipe closes; a child that inherited those
/// ends (any child started while they were open, and any daemon it started, such as a
/// restarted test server) kept them open, so `waitUntilExit`, the termination handler and
/// the reads never returned: a hung test run. Prefer ``spawnPiped(_:_:environment:)`` to
/// `Process` in tests for the same reason. The child also gets an empty signal mask and
/// default signal handlers, whatever the test process has ignored or blocked, so signals
/// sent to it behave as in production.
public struct SpawnedProcess: Sendable {
    /// How a child ended.
    public struct Outcome: Sendable, Equatable {
        /// The exit status, or 128 + the signal number when a signal ended it.
        public var status: Int32
        /// The signal that ended it, if one did.
        public var signal: Int32?
    }

    /// A child with a pipe to its standard input and one from its standard output and
    /// error, from ``spawnPiped(_:_:environment:)``.
    public struct Piped: Sendable {
        /// The child.
        public let process: SpawnedProcess
        /// The write end of the child's standard input; close it to send end-of-file.
        public let input: FileHandle
        /// The read end of the child's standard output and error.
        public let output: FileHandle

        /// Reads the child's output, on a thread of its own (never a cooperative one),
        /// until it holds `marker` or the output ends (`nil`: until it ends).
        public func read(until marker: String? = nil) async -> String {
            let output = self.output
            return await withCheckedContinuation { continuation in
                Thread.detachNewThread {
                    continuation.resume(returning: Self.readBlocking(output, until: marker))
                }
            }
        }

        /// Reads `handle` on the calling thread until `marker` appears or it ends.
        static func readBlocking(_ handle: FileHandle, until marker: String?) -> String {
            var bytes = Data()
            while marker.map({ !String(decoding: bytes, as: UTF8.self).contains($0) }) ?? true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                bytes.append(chunk)
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The child's process id.
    public let pid: pid_t

    /// Starts `executable` with `arguments`; standard input is `/dev/null`, standard output
    /// and error go to the given files (created 0600, truncated), or are this process's.
    ///
    /// - Parameters:
    ///   - executable: the path of the program to run.
    ///   - arguments: its arguments, without the program name.
    ///   - environment: the child's environment; `nil` passes this process's.
    ///   - standardOutput: a file for the child's standard output; `nil` shares this process's.
    ///   - standardError: a file for the child's standard error; `nil` shares this process's.
    /// - Throws: `POSIXError` when the child cannot be started.
    public static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        standardOutput: String? = nil, standardError: String? = nil
    ) throws -> SpawnedProcess {
        try spawn(executable, arguments, environment: environment) { actions in
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            if let standardOutput {
                posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            }
            if let standardError {
                posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            }
        }
    }

    /// Starts `executable` with `arguments`, its standard input read from a pipe and its
    /// standard output and error written to one, for a test that talks to it.
    ///
    /// - Parameters:
    ///   - executable: the path of the program to run.
    ///   - arguments: its arguments, without the program name.
    ///   - environment: the child's environment; `nil` passes this process's.
    /// - Throws: `POSIXError` when the pipes cannot be made or the child cannot be started.
    public static func spawnPiped(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil
    ) throws -> Piped {
        let input = try pipeEnds()
        let output: (read: Int32, write: Int32)
        do {
            output = try pipeEnds()
        } catch {
            close(input.read)
            close(input.write)
            throw error
        }
        defer {
            // The child's ends: it has its own copies now (or was never started).
            close(input.read)
            close(output.write)
        }
        do {
            let process = try spawn(executable, arguments, environment: environment) { actions in
                posix_spawn_file_actions_adddup2(&actions, input.read, 0)
                posix_spawn_file_actions_adddup2(&actions, output.write, 1)
                posix_spawn_file_actions_adddup2(&actions, output.write, 2)
            }
            return Piped(
                process: process,
                input: FileHandle(fileDescriptor: input.write, closeOnDealloc: true),
                output: FileHandle(fileDescriptor: output.read, closeOnDealloc: true))
        } catch {
            close(input.write)
            close(output.read)
            throw error
        }
    }

    /// A pipe whose ends close on exec: no other child inherits them.
    private static func pipeEnds() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        // pipe2(O_CLOEXEC) is not imported; between pipe and these calls only a child
        // started by Foundation could inherit them, and it closes what it does not use.
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    private static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String]?,
        redirect: (inout posix_spawn_file_actions_t) -> Void
    ) throws -> SpawnedProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        redirect(&actions)
        // Everything above standard error, whether or not it closes on exec: the test
        // process holds pipes, socket pairs and connections that must close when it
        // closes them, not when this child (or a daemon it starts) exits.
        if let closeFrom = addCloseFrom { _ = closeFrom(&actions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGCHLD, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let variables = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup($0) } + [nil]
        defer { for pointer in envp { free(pointer) } }

        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO) }
        return SpawnedProcess(pid: pid)
    }

    /// Sends `signal` to the child.
    public func send(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits for the child to end, on a thread of its own (never a cooperative one).
    public func wait() async -> Outcome {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: waitBlocking())
            }
        }
    }

    /// Waits for the child to end, blocking the calling thread: only for code that already
    /// runs on a thread of its own.
    public func waitBlocking() -> Outcome {
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let signal = raw & 0x7F
        if signal != 0 { return Outcome(status: 128 + signal, signal: signal) }
        return Outcome(status: (raw >> 8) & 0xFF, signal: nil)
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run
/// time: its declaration is not imported into Swift.
private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
private let addCloseFrom: AddCloseFrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
    .map { unsafeBitCast($0, to: AddCloseFrom.self) }
