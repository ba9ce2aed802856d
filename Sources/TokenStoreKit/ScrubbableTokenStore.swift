/// A store whose storage can keep the bytes of overwritten and deleted records (freed
/// pages, unused space inside pages, a write-ahead log) and that can erase them on request.
///
/// `tokenstore rekey` calls ``scrub()`` after re-sealing, so that no plain or old-key
/// secret survives in the store's files. The SQLite driver conforms (a `VACUUM`, then a
/// checkpoint that truncates the WAL to zero bytes).
public protocol ScrubbableTokenStore: TokenStore {
    /// Rewrites the storage so that it holds only the live records: nothing of an
    /// overwritten or deleted record remains in the store's files afterwards.
    ///
    /// Takes time and temporary disk space in proportion to the store's size, and waits
    /// for other connections to finish their reads.
    ///
    /// - Throws: ``TokenStoreError``; ``TokenStoreError/Code/timedOut`` when other
    ///   connections kept reading past the store's busy timeout (the old bytes may then
    ///   remain until the next full checkpoint).
    func scrub() async throws
}
