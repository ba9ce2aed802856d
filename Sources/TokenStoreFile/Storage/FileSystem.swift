#if canImport(Glibc)
// `stat`'s `timespec` fields may be owned by the system shim's module (see RecentQueueing).
import CTokenStoreSystem
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import TokenStoreKit

/// The few POSIX calls the file store makes, returning `errno` instead of throwing so the
/// caller can name the store and the operation in its error.
enum FileSystem {
    struct Failure: Error, Sendable {
        var errno: Int32
        var call: String
        var path: String

        var reason: String { String(cString: strerror(errno)) }

        /// Whether `path` is a directory (or another non-file) where a file belongs: damaged
        /// storage, not an unavailable disk. `EISDIR` is what Linux's read, rename over and
        /// unlink of a directory report.
        var isNotAFile: Bool { errno == EISDIR }
    }

    /// Reads a whole file; `nil` when it does not exist.
    ///
    /// - Throws: ``Failure`` with `EISDIR` (``Failure/isNotAFile``) when `path` is a
    ///   directory, FIFO, socket or device rather than a regular file.
    static func readFile(_ path: String) throws(Failure) -> [UInt8]? {
        // O_NONBLOCK: opening a FIFO planted at a record's name must not wait for a writer.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw Failure(errno: errno, call: "open", path: path)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Failure(errno: errno, call: "fstat", path: path) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw Failure(errno: EISDIR, call: "read", path: path) }
        var capacity = 4096
        if info.st_size > 0 { capacity = Int(clamping: info.st_size) + 1 }
        var bytes = [UInt8](repeating: 0, count: capacity)
        var count = 0
        while true {
            if count == bytes.count { bytes.append(contentsOf: repeatElement(0, count: bytes.count)) }
            let got = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return read(fd, base + count, buffer.count - count)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw Failure(errno: errno, call: "read", path: path)
            }
            if got == 0 { break }
            count += got
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    /// Writes `bytes` to `path` so that readers see the old file or the new one, never a
    /// part: a 0600 temp file in the same directory, written, fsynced, renamed over `path`.
    /// The caller fsyncs the directory (once per batch).
    static func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws(Failure) {
        let temp = directory + "/.tmp-" + UUID().uuidString
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 { throw Failure(errno: errno, call: "open", path: temp) }
        var closed = false
        defer {
            if !closed { close(fd) }
        }
        do throws(Failure) {
            // The mode passed to open is masked by the umask; set it exactly.
            if fchmod(fd, 0o600) != 0 { throw Failure(errno: errno, call: "fchmod", path: temp) }
            var written = 0
            while written < bytes.count {
                let result = bytes.withUnsafeBytes { buffer -> Int in
                    guard let base = buffer.baseAddress else { return 0 }
                    return write(fd, base + written, buffer.count - written)
                }
                if result < 0 {
                    if errno == EINTR { continue }
                    throw Failure(errno: errno, call: "write", path: temp)
                }
                if result == 0 { throw Failure(errno: EIO, call: "write", path: temp) }
                written += result
            }
            if fsync(fd) != 0 { throw Failure(errno: errno, call: "fsync", path: temp) }
            closed = true
            if close(fd) != 0 { throw Failure(errno: errno, call: "close", path: temp) }
            if rename(temp, path) != 0 { throw Failure(errno: errno, call: "rename", path: path) }
        } catch {
            unlink(temp)
            throw error
        }
    }

    /// Makes renames and unlinks in `directory` durable.
    static func syncDirectory(_ directory: String) throws(Failure) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw Failure(errno: errno, call: "open", path: directory) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw Failure(errno: errno, call: "fsync", path: directory) }
    }

    /// Calls `body` with each entry name of `directory` except `.` and `..`, streaming
    /// (no list of every name is built).
    static func forEachEntry(_ directory: String, _ body: (String) throws -> Void) throws {
        guard let dir = opendir(directory) else { throw Failure(errno: errno, call: "opendir", path: directory) }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            try body(name)
        }
    }

    /// The permission bits of `path`, or `nil` when it does not exist.
    static func mode(_ path: String) throws(Failure) -> (mode: mode_t, isDirectory: Bool)? {
        var info = stat()
        if lstat(path, &info) != 0 {
            if errno == ENOENT { return nil }
            throw Failure(errno: errno, call: "stat", path: path)
        }
        return (info.st_mode & 0o7777, (info.st_mode & S_IFMT) == S_IFDIR)
    }

    /// Creates `path` as a 0700 directory (exactly, whatever the umask).
    static func makeDirectory(_ path: String) throws(Failure) {
        if mkdir(path, 0o700) != 0 {
            if errno == EEXIST { return }
            throw Failure(errno: errno, call: "mkdir", path: path)
        }
        if chmod(path, 0o700) != 0 { throw Failure(errno: errno, call: "chmod", path: path) }
    }

    /// Seconds since `path` was last modified, or `nil`.
    static func age(_ path: String) -> Double? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
        return Date().timeIntervalSince1970 - Double(info.st_mtimespec.tv_sec)
        #else
        return Date().timeIntervalSince1970 - Double(info.st_mtim.tv_sec)
        #endif
    }
}

extension FileSystem {
    static func closeDescriptor(_ fd: Int32) {
        _ = close(fd)
    }

    /// Opens (creating 0600) the lock file.
    static func openLockFile(_ path: String) throws(Failure) -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 { throw Failure(errno: errno, call: "open", path: path) }
        if fchmod(fd, 0o600) != 0 {
            let failure = Failure(errno: errno, call: "fchmod", path: path)
            close(fd)
            throw failure
        }
        return fd
    }

    /// Runs `body` holding an exclusive `flock` on `fd`: other processes wait.
    static func withExclusiveLock<T>(_ fd: Int32, path: String, _ body: () throws -> T) throws -> T {
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { throw Failure(errno: errno, call: "flock", path: path) }
        }
        defer { _ = flock(fd, LOCK_UN) }
        return try body()
    }

    /// `rename`, returning `false` when `from` does not exist.
    static func renameIfPresent(_ from: String, _ to: String) throws(Failure) -> Bool {
        if rename(from, to) == 0 { return true }
        if errno == ENOENT { return false }
        throw Failure(errno: errno, call: "rename", path: from)
    }

    /// `unlink`, returning `false` when `path` does not exist.
    static func unlinkIfPresent(_ path: String) throws(Failure) -> Bool {
        if unlink(path) == 0 { return true }
        if errno == ENOENT { return false }
        throw Failure(errno: errno, call: "unlink", path: path)
    }

    /// Puts `claim` back at `path` unless a newer record was saved there meanwhile.
    static func restore(_ claim: String, to path: String) {
        if link(claim, path) == 0 || errno == EEXIST {
            _ = unlink(claim)
            return
        }
        // link(2) refuses a directory (EPERM): a directory sat where the record belongs
        // and was claimed. Put it back by name so the error names what the user sees; a
        // rename onto a file saved there meanwhile fails (ENOTDIR) and leaves the claim.
        if errno == EPERM { _ = rename(claim, path) }
    }

    static func isPermission(_ code: Int32) -> Bool { code == EACCES || code == EPERM || code == EROFS }
}
