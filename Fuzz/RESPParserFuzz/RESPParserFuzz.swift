import TokenStoreRedis

// A libFuzzer target for the driver's RESP reply parser, the code that reads what a Redis
// server (trusted or not) sends. `Scripts/fuzz-resp` builds it with `-sanitize=fuzzer`
// and `-DRESP_FUZZ`; a plain build makes a replayer that runs the same checks over the
// files given as arguments (the seed corpus, or a crash file libFuzzer wrote).

/// Feeds `data` to the parser the way a connection does and checks what it claims.
///
/// The first two bytes choose where the stream is cut (the bytes arrive in two reads) and a
/// reply size limit; the rest is the stream. Checked: framing never reports an end past the
/// bytes it was given; framing a prefix agrees with framing everything (a complete reply
/// ends at the same place, an incomplete one stays incomplete or becomes a violation, and
/// no violation disappears with more bytes); walking a framed reply consumes exactly its
/// bytes. Any trap (out-of-bounds read, overflow) is a crash libFuzzer reports.
func checkParser(_ data: UnsafeRawBufferPointer) {
    guard data.count >= 2 else { return }
    let cutSeed = Int(data[0])
    let limit = data[1] < 128 ? RESPParser.maxLength : 16 + Int(data[1]) * 8
    let stream = UnsafeRawBufferPointer(rebasing: data[2...])
    let cut = stream.isEmpty ? 0 : cutSeed % (stream.count + 1)

    var start = 0
    while start < stream.count {
        let whole = frame(stream, from: start, limit: limit)
        let prefix = frame(UnsafeRawBufferPointer(rebasing: stream[..<max(cut, start)]), from: start, limit: limit)
        switch (prefix, whole) {
        case (.end(let early), let whole):
            precondition(whole == .end(early), "a reply framed in a prefix ends elsewhere in the whole stream")
        case (.violation, .violation), (.incomplete, _):
            break
        case (.violation, _):
            preconditionFailure("a violation in a prefix disappeared with more bytes")
        }
        guard case .end(let end) = whole else { return }
        precondition(end > start && end <= stream.count, "framing claimed bytes it was not given")
        // Walking the framed bytes, as decoders do, consumes exactly the reply.
        let framed = UnsafeRawBufferPointer(rebasing: stream[..<end])
        var walker = RESPParser(framed)
        var skipper = RESPParser(framed)
        while walker.index < start {
            _ = walker.reply()
            skipper.skip()
        }
        precondition(walker.index == start && skipper.index == start, "walking framed replies lost its place")
        _ = walker.reply()
        skipper.skip()
        precondition(walker.index == end && skipper.index == end, "walking a framed reply consumed other than its bytes")
        start = end
    }
}

enum Framing: Equatable {
    case end(Int)
    case incomplete
    case violation(RESPParser.Violation.Kind)
}

func frame(_ bytes: UnsafeRawBufferPointer, from start: Int, limit: Int) -> Framing {
    do {
        guard let end = try RESPParser.replyEnd(in: bytes, from: start, limit: limit) else { return .incomplete }
        return .end(end)
    } catch {
        return .violation(error.kind)
    }
}

#if RESP_FUZZ
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    checkParser(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
}

/// libFuzzer's driver (`int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*)(const
/// uint8_t *, size_t))`); pointer and integer arguments pass the same way in Swift's
/// calling convention as in C's.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// The program's entry: SwiftPM links an executable with `main` aliased to
/// `<product>_main` (its testable-executable support), so libFuzzer's own `main` is never
/// used; this starts libFuzzer's driver instead.
@_cdecl("resp_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in fuzzOneInput(data, size) }
}
#else
import Foundation

@main
enum Replay {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard !arguments.isEmpty else {
            print("usage: resp-fuzz FILE_OR_DIRECTORY...  (replays inputs; Scripts/fuzz-resp fuzzes)")
            return
        }
        var count = 0
        for argument in arguments {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                print("no such file or directory: \(argument)")
                exit(2)
            }
            let files = isDirectory.boolValue
                ? try FileManager.default.contentsOfDirectory(atPath: argument).sorted().map { argument + "/" + $0 }
                : [argument]
            for file in files {
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                data.withUnsafeBytes { checkParser($0) }
                count += 1
            }
        }
        print("replayed \(count) inputs: no failure")
    }
}
#endif
