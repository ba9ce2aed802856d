import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a server's control script (e.g. `Scripts/test-servers`' `stop` / `start`) from a
/// test, so a driver's suite can simulate an outage.
public enum ServerControl {
    /// Runs `script argument` and returns its exit status (-1 when it could not start).
    ///
    /// The wait happens on a thread of its own, never a cooperative one. It uses posix_spawn
    /// and waitpid rather than Foundation's `Process`, which did not reap such a script under
    /// the test runner (it stayed a zombie and `waitUntilExit` never returned). The child gets
    /// an empty signal mask and default handlers, so a server it starts still obeys SIGTERM
    /// when the test servers are stopped.
    public static func run(_ script: String, _ argument: String) async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var pid: pid_t = 0
                let argv: [UnsafeMutablePointer<CChar>?] = [strdup(script), strdup(argument), nil]
                defer { for pointer in argv { free(pointer) } }
                var attributes = posix_spawnattr_t()
                posix_spawnattr_init(&attributes)
                defer { posix_spawnattr_destroy(&attributes) }
                var empty = sigset_t()
                sigemptyset(&empty)
                var defaults = sigset_t()
                sigemptyset(&defaults)
                for signal in [SIGTERM, SIGINT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
                posix_spawnattr_setsigmask(&attributes, &empty)
                posix_spawnattr_setsigdefault(&attributes, &defaults)
                posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
                guard posix_spawn(&pid, script, nil, &attributes, argv, environ) == 0 else {
                    continuation.resume(returning: -1)
                    return
                }
                var raw: Int32 = 0
                while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
                continuation.resume(returning: (raw >> 8) & 0xFF)
            }
        }
    }
}
