import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child process for tests, started with posix_spawn and reaped with waitpid on a thread
/// of its own.
///
/// Foundation's `Process` left children unreaped under the test runner now and then (a
/// zombie, and `waitUntilExit` or the termination handler never returning), which hung the
/// whole run. The child gets an empty signal mask and default signal handlers, whatever
/// the test process has ignored or blocked, so signals sent to it behave as in production.
public struct SpawnedProcess: Sendable {
    /// How a child ended.
    public struct Outcome: Sendable, Equatable {
        /// The exit status, or 128 + the signal number when a signal ended it.
        public var status: Int32
        /// The signal that ended it, if one did.
        public var signal: Int32?
    }

    /// The child's process id.
    public let pid: pid_t

    /// Starts `executable` with `arguments`; standard input is `/dev/null`, standard output
    /// and error go to the given files (created 0600, truncated), or are this process's.
    ///
    /// - Parameter environment: the child's environment; `nil` passes this process's.
    /// - Throws: `POSIXError` when the child cannot be started.
    public static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        standardOutput: String? = nil, standardError: String? = nil
    ) throws -> SpawnedProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let standardOutput {
            posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        if let standardError {
            posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }

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
        let pid = self.pid
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var raw: Int32 = 0
                while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
                let signal = raw & 0x7F
                if signal != 0 {
                    continuation.resume(returning: Outcome(status: 128 + signal, signal: signal))
                } else {
                    continuation.resume(returning: Outcome(status: (raw >> 8) & 0xFF, signal: nil))
                }
            }
        }
    }
}
