import Dispatch
import Foundation
import Glibc
import TokenStoreKit

/// A checkpoint file written atomically: a temporary file in the same directory, `fsync`,
/// `rename`, then `fsync` of the directory, so a crash leaves either the old checkpoint or
/// the new one, never a torn file. The directory is created 0700 and the file 0600.
public struct MigrationCheckpointFile: Sendable {
    /// The file's path.
    public let path: String

    /// A checkpoint file at `path`.
    public init(path: String) {
        self.path = path
    }

    /// The directory the file lives in.
    public var directory: String { (path as NSString).deletingLastPathComponent }

    /// Reads the checkpoint.
    ///
    /// - Returns: the checkpoint, or `nil` when there is no file.
    /// - Throws: ``MigrationCheckpointError`` when the file cannot be read or is not a checkpoint.
    public func load() throws -> MigrationCheckpoint? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data: Data
        let checkpoint: MigrationCheckpoint
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw MigrationCheckpointError(path: path, message: "cannot read it: \(error.localizedDescription)")
        }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            checkpoint = try decoder.decode(MigrationCheckpoint.self, from: data)
        } catch {
            throw MigrationCheckpointError(
                path: path, message: "it is not a tokenstore checkpoint (delete it to start over)")
        }
        // A resumed run adds to these counts and the progress line multiplies them: a
        // damaged file's huge or negative numbers must stop here, not trap there.
        let counts = checkpoint.counts
        let values = [
            counts.accessRead, counts.accessWritten, counts.tokenSetRead, counts.tokenSetWritten,
            counts.tokenSetPlaintext, counts.tokenSetSkipped, counts.requestRead, counts.requestWritten,
            counts.requestSkipped, counts.plaintext, counts.requestPlaintext,
        ]
        guard values.allSatisfy({ (0...Self.maxCount).contains($0) }) else {
            throw MigrationCheckpointError(
                path: path, message: "its counts are negative or above \(Self.maxCount) (damaged; delete it to start over)")
        }
        return checkpoint
    }

    /// The largest count a checkpoint may hold (2^53): far beyond any store, and small
    /// enough that sums and percentages of counts cannot overflow.
    static let maxCount = 1 << 53

    /// Creates the directory (0700) when missing, so a run fails before copying when the
    /// checkpoint could not be saved.
    ///
    /// - Throws: ``MigrationCheckpointError``.
    public func prepareDirectory() throws {
        let directory = self.directory
        guard !directory.isEmpty else { return }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw MigrationCheckpointError(path: path, message: "\(directory) is not a directory")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw MigrationCheckpointError(
                path: path, message: "cannot create the directory: \(error.localizedDescription)")
        }
    }

    /// Writes `checkpoint` atomically (see the type's documentation).
    ///
    /// - Throws: ``MigrationCheckpointError`` naming the failed step.
    public func save(_ checkpoint: MigrationCheckpoint) throws {
        try prepareDirectory()
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let bytes: [UInt8]
        do {
            bytes = Array(try encoder.encode(checkpoint)) + [0x0A]
        } catch {
            throw MigrationCheckpointError(path: path, message: "cannot encode it")
        }
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw failure("create \(temporary)") }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress.map { $0 + written }, bytes.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                let error = failure("write \(temporary)")
                Glibc.close(descriptor)
                unlink(temporary)
                throw error
            }
            written += result
        }
        guard fsync(descriptor) == 0 else {
            let error = failure("fsync \(temporary)")
            Glibc.close(descriptor)
            unlink(temporary)
            throw error
        }
        Glibc.close(descriptor)
        guard rename(temporary, path) == 0 else {
            let error = failure("rename onto \(path)")
            unlink(temporary)
            throw error
        }
        let directoryDescriptor = Glibc.open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            Glibc.close(directoryDescriptor)
        }
    }

    /// ``save(_:)`` on a private dispatch queue, so its `fsync` never parks a Swift
    /// cooperative thread; what a migration's checkpoint handler should call.
    ///
    /// - Throws: ``MigrationCheckpointError`` naming the failed step.
    public func persist(_ checkpoint: MigrationCheckpoint) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Self.queue.async {
                continuation.resume(with: Result { try save(checkpoint) })
            }
        }
    }

    private static let queue = DispatchQueue(label: "tokenstore.migration.checkpoint")

    /// Deletes the checkpoint; a missing file is fine.
    ///
    /// - Throws: ``MigrationCheckpointError`` when it exists and cannot be removed.
    public func remove() throws {
        if unlink(path) != 0, errno != ENOENT { throw failure("delete") }
    }

    private func failure(_ step: String) -> MigrationCheckpointError {
        MigrationCheckpointError(path: path, message: "cannot \(step): \(String(cString: strerror(errno)))")
    }
}
