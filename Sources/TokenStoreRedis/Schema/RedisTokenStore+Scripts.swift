import TokenStoreKit

extension RedisTokenStore {
    /// Runs script `index` of ``RedisScripts/all`` by `EVALSHA`, or by `EVAL` when the
    /// server lost it (`NOSCRIPT`). Error replies are thrown as typed errors. `slot` is
    /// the slot of `keys` (one slot: the script is one atomic step). `writes`: the script
    /// changes data a caller saved or took (see ``roundTrip(_:slot:writes:_:decode:)``).
    func evalScript(
        _ index: Int, operation: String, record: String?, slot: UInt16, writes: Bool = false, keys: [[UInt8]], arguments: [[UInt8]]
    ) async throws -> RedisReply {
        let hash = scriptHash(index)
        var reply = try await roundTripCommand(operation, slot: slot, writes: writes) { out in
            Self.writeScriptCall(&out, index: index, hash: hash, keys: keys, arguments: arguments)
        }
        if let message = reply.errorMessage, message.hasPrefix("NOSCRIPT") {
            reply = try await roundTripCommand(operation, slot: slot, writes: writes) { out in
                Self.writeScriptCall(&out, index: index, hash: nil, keys: keys, arguments: arguments)
            }
        }
        if let message = reply.errorMessage {
            throw RedisErrorMapping.error(message, store: displayName, operation: operation, record: record)
        }
        return reply
    }

    static let upsertScript = 0
    static let deleteScript = 3
    static let rebuildCountsScript = 4
    static let tokenSetSaveScript = 5
    static let tokenSetReplaceScript = 6
    static let acquireRefreshLeaseScript = 7
    static let releaseRefreshLeaseScript = 8

    /// The first two arguments of a script call: `EVALSHA hash` when `hash` is known, else
    /// `EVAL source`.
    static func writeScriptHead(_ out: inout RESPWriter, _ index: Int, hash: String?) {
        if let hash {
            out.argument("EVALSHA")
            out.argument(hash)
        } else {
            out.argument("EVAL")
            out.argument(RedisScripts.all[index])
        }
    }

    /// A whole script call: its head (``writeScriptHead(_:_:hash:)``), then its keys and arguments.
    static func writeScriptCall(
        _ out: inout RESPWriter, index: Int, hash: String?, keys: [[UInt8]], arguments: [[UInt8]]
    ) {
        out.command(3 + keys.count + arguments.count)
        writeScriptHead(&out, index, hash: hash)
        out.argument(keys.count)
        for key in keys { out.argument(key) }
        for argument in arguments { out.argument(argument) }
    }
}
