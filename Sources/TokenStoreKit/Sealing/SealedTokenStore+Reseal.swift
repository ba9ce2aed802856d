/// What ``SealedTokenStore/resealAccessTokens(pageSize:)`` did.
public struct ResealReport: Sendable, Hashable, CustomStringConvertible {
    /// Records re-sealed under the primary key (from an older key or from plain text).
    public var resealed: Int
    /// Of ``resealed``, how many were plain text before.
    public var wasPlaintext: Int
    /// Records already sealed under the primary key, left untouched.
    public var alreadyPrimary: Int
    /// Records still not sealed under the primary key after the run, counted by a second
    /// pass (zero unless another writer used an older key meanwhile).
    public var remainingOnOtherKeys: Int

    public var description: String {
        "re-sealed \(resealed) access tokens (\(wasPlaintext) were plain text), \(alreadyPrimary) already "
            + "under the primary key, \(remainingOnOtherKeys) still under other keys or plain"
    }
}

extension SealedTokenStore {
    /// Re-seals every access token under the primary key, page by page in key order.
    ///
    /// Records already under the primary are skipped, so running it again after an
    /// interruption resumes cheaply. Each re-sealed token keeps its own `createdAt` and
    /// `updatedAt`. Plain secrets are sealed when the store allows plain text, otherwise
    /// they stop the run with a ``TokenStoreError/Code/sealing`` error.
    ///
    /// Request tokens are not re-sealed: re-saving one could bring back a token another
    /// caller just took. They expire within minutes; keep the old key in the ring that long.
    ///
    /// A token re-written by another process between this run's read and write of its page
    /// is overwritten with the value read; run it when no re-authorization is in flight, or
    /// with a small page size.
    ///
    /// - Parameter pageSize: records read and written per round trip.
    /// - Throws: ``TokenStoreError`` from the wrapped store, or ``TokenStoreError/Code/sealing``
    ///   naming a record that does not open.
    public func resealAccessTokens(pageSize: Int = 500) async throws -> ResealReport {
        var report = ResealReport(resealed: 0, wasPlaintext: 0, alreadyPrimary: 0, remainingOnOtherKeys: 0)
        var cursor: AccessTokenKey?
        repeat {
            let page = try await relabel { try await $0.listAccessTokens(after: cursor, limit: pageSize) }
            var batch: [AccessToken] = []
            for stored in page.tokens {
                let keyID = SealedSecret.keyID(of: stored.secret)
                if keyID == keys.primary.id {
                    report.alreadyPrimary += 1
                    continue
                }
                if keyID == nil { report.wasPlaintext += 1 }
                batch.append(try open(stored, operation: "resealAccessTokens"))
            }
            if !batch.isEmpty {
                report.resealed += try await saveAccessTokens(batch, policy: .overwrite)
            }
            cursor = page.nextCursor
        } while cursor != nil

        cursor = nil
        repeat {
            let page = try await relabel { try await $0.listAccessTokens(after: cursor, limit: pageSize) }
            report.remainingOnOtherKeys += page.tokens.count {
                SealedSecret.keyID(of: $0.secret) != keys.primary.id
            }
            cursor = page.nextCursor
        } while cursor != nil
        return report
    }
}
