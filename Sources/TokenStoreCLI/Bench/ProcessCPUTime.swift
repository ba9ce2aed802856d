#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// CPU time this process has used, on every thread, user and system
/// (`CLOCK_PROCESS_CPUTIME_ID`).
///
/// The bench reports it per operation beside latency: a wait that polls instead of sleeping
/// can win on latency and still cost a busy server more.
enum ProcessCPUTime {
    static func now() -> Duration {
        var time = timespec()
        guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time) == 0 else { return .zero }
        return .seconds(Int64(time.tv_sec)) + .nanoseconds(Int64(time.tv_nsec))
    }
}
