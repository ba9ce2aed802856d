import Foundation

/// One workload `tokenstore bench` measures.
enum BenchOperation: String, CaseIterable, Sendable, Codable {
    /// `saveAccessToken(_:policy: .overwrite)` of a random token of the bench range (an upsert
    /// that updates an existing row, as when a user signs in again).
    case put
    /// `accessToken(for:)` of a random key of the bench range that exists.
    case get
    /// `takeRequestToken(_:)` of a request token saved beforehand (the save is not timed).
    case take
    /// 80% get, 10% put, 10% a dance step (save a request token, then take it), each
    /// counted as one operation.
    case mixed

    /// Parses a comma-separated list such as `put,get`, keeping the given order and
    /// dropping repeats.
    ///
    /// - Throws: ``CLIFailure`` naming an unknown operation and the known ones.
    static func parseList(_ text: String) throws -> [BenchOperation] {
        var operations: [BenchOperation] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: true) {
            let name = part.trimmingCharacters(in: .whitespaces).lowercased()
            guard let operation = BenchOperation(rawValue: name) else {
                throw CLIFailure(
                    "unknown operation '\(name)' in --operations; choose from "
                        + allCases.map(\.rawValue).joined(separator: ","))
            }
            if !operations.contains(operation) { operations.append(operation) }
        }
        guard !operations.isEmpty else {
            throw CLIFailure("--operations is empty; choose from " + allCases.map(\.rawValue).joined(separator: ","))
        }
        return operations
    }
}
