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
    /// `tokenSet(for:)` of a random OAuth 2.0 token set of the bench range that exists.
    case setGet = "set-get"
    /// `saveTokenSet(_:policy: .overwrite)` of a random token set of the bench range (a new
    /// access and refresh token, as a refresh that does not use the lease would write).
    case setPut = "set-put"
    /// `replaceTokenSet(_:ifVersion:)`, the compare-and-set a refresh ends with, on the
    /// version last seen for the key (the versions are read before the phase, not timed).
    case setCAS = "set-cas"

    /// What runs without `--operations`: the OAuth 1.0a workloads.
    static let defaults: [BenchOperation] = [.put, .get, .take, .mixed]

    /// Whether the workload uses the range's access tokens (written before, deleted after).
    var usesAccessTokens: Bool { self == .put || self == .get || self == .mixed }

    /// Whether the workload uses the range's token sets (written before, deleted after).
    var usesTokenSets: Bool { self == .setGet || self == .setPut || self == .setCAS }

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
