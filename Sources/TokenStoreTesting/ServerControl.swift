import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a server's control script (e.g. `Scripts/test-servers`' `stop` / `start`) from a
/// test, so a driver's suite can simulate an outage.
public enum ServerControl {
    /// Runs `script argument` and returns its exit status (-1 when it could not start).
    ///
    /// Spawned and reaped through ``SpawnedProcess`` (never Foundation's `Process`), with
    /// default signal handlers, so a server it starts still obeys SIGTERM when the test
    /// servers are stopped. The script writes to the test's own output.
    public static func run(_ script: String, _ argument: String) async -> Int32 {
        guard let child = try? SpawnedProcess.spawn(script, [argument]) else { return -1 }
        return await child.wait().status
    }
}
