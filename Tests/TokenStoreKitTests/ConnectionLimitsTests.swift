import Testing

@testable import TokenStoreKit

@Suite(.inProcessTimeLimit)
struct ConnectionLimitsTests {
    @Test func acceptsPoolsWithinRange() throws {
        try ConnectionLimits.validate(minConnections: 0, maxConnections: 1, store: "s")
        try ConnectionLimits.validate(minConnections: 10_000, maxConnections: 10_000, store: "s")
    }

    @Test(arguments: [(0, 0), (0, 10_001), (-1, 4), (5, 4), (Int.min, Int.max)])
    func refusesPoolsOutOfRange(minimum: Int, maximum: Int) {
        let error = #expect(throws: TokenStoreError.self) {
            try ConnectionLimits.validate(minConnections: minimum, maxConnections: maximum, store: "db")
        }
        #expect(error?.code == .misconfigured)
        #expect(error?.store == "db")
        #expect(error?.message.contains(maximum < 1 || maximum > 10_000 ? "pool_max" : "pool_min") == true)
    }

    @Test func refusesTimeoutsOutsideZeroToAnHour() {
        for value in [Duration.zero, .seconds(-1), .seconds(3601)] {
            let error = #expect(throws: TokenStoreError.self) {
                try ConnectionLimits.validate(timeouts: [("operation_timeout", value)], store: "db")
            }
            #expect(error?.message.contains("operation_timeout must be above 0") == true)
        }
        #expect(throws: Never.self) {
            try ConnectionLimits.validate(timeouts: [("a", .milliseconds(1)), ("b", .seconds(3600))], store: "db")
        }
    }

    @Test func parsesSecondsAndCountsFromURLParameters() throws {
        let parameters = ["t": "0.25", "n": "7", "bad": "nan", "huge": "1e300", "neg": "-3"]
        #expect(try ConnectionLimits.seconds("t", in: parameters, store: "s") == .milliseconds(250))
        #expect(try ConnectionLimits.seconds("absent", in: parameters, store: "s") == nil)
        #expect(try ConnectionLimits.count("n", in: parameters, range: 1...10, store: "s") == 7)
        for name in ["bad", "huge", "neg"] {
            #expect(throws: TokenStoreError.self) { try ConnectionLimits.seconds(name, in: parameters, store: "s") }
            #expect(throws: TokenStoreError.self) {
                try ConnectionLimits.count(name, in: parameters, range: 1...10, store: "s")
            }
        }
    }
}
