// warden-bench: measures evaluation of a rule pack, in process, on one core, release build.
//
//   swift build -c release --product warden-bench && .build/release/warden-bench
//
// Prints decisions/s and latency percentiles for the compiled VM, the same for the
// reference tree-walker (the baseline measured in the same run), their ratio, and the
// JSON Lines path (parse + evaluate + write), then the embeddable Engine (decoded records,
// three velocity windows, JSON bytes). Every run first checks that the VM and the
// reference agree on every record: a fast wrong answer fails the benchmark.
import Foundation
import WardenBenchmarks
import WardenEngine

struct Options {
    var rules = "rules/payments.rules"
    var input = "datasets/sample/transactions.jsonl"
    var records = 200_000
    var repetitions = 5
    /// `--profile vm`: time only the compiled VM, for profilers; `--profile windows`: only the
    /// engine with three windows; `--profile listing`: print the program.
    var profile: String? = nil
    /// Where to write the results as JSON (for tools/bench and tracking).
    var json: String? = nil
    /// Distinct records checked against the reference evaluator before timing (it is slow).
    var checkLimit = 20_000
}

var options = Options()
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let a = arguments.next() {
    switch a {
    case "--rules": options.rules = arguments.next() ?? options.rules
    case "--input": options.input = arguments.next() ?? options.input
    case "--records": options.records = Int(arguments.next() ?? "") ?? options.records
    case "--repetitions": options.repetitions = Int(arguments.next() ?? "") ?? options.repetitions
    case "--profile": options.profile = arguments.next()
    case "--json": options.json = arguments.next()
    case "--check-limit": options.checkLimit = Int(arguments.next() ?? "") ?? options.checkLimit
    default:
        print("usage: warden-bench [--rules PACK] [--input FILE.jsonl] [--records N] [--repetitions N] [--json OUT] [--check-limit N]")
        exit(2)
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("warden-bench: \(message)\n".utf8))
    exit(1)
}

func loadPack(_ path: String) -> CompiledPack {
    do throws(PackError) {
        return try CompiledPack.load(path: path)
    } catch {
        fail(error.rendered)
    }
}
let pack = loadPack(options.rules)
guard let text = try? String(contentsOfFile: options.input, encoding: .utf8) else { fail("cannot read \(options.input)") }
let lines = text.split(separator: "\n").map(String.init)
var base: [Record] = []
for line in lines {
    if let r = try? pack.decodeRecord(json: line) { base.append(r) }
}
guard !base.isEmpty else { fail("no valid records in \(options.input)") }
let records = (0..<options.records).map { base[$0 % base.count] }
let named = base.prefix(options.checkLimit).map { pack.namedRecord($0) }

// Correctness first: both evaluators agree on every distinct record.
let vm = pack.makeEvaluator()
let reference = pack.makeReferenceEvaluator()
var hits = 0
for (i, r) in base.prefix(options.checkLimit).enumerated() {
    let a = vm.evaluate(r), b = reference.evaluate(named[i])
    if a != b { fail("evaluators disagree on record \(i + 1): \(pack.actionName(a))/\(a.score) vs \(pack.actionName(b))/\(b.score)") }
    hits += a.hits.count
}
let handWritten: HandWrittenPayments? = options.rules.hasSuffix("payments.rules") ? try? HandWrittenPayments(pack: pack) : nil
let typed = handWritten.map { h in base.map { h.txn($0) } } ?? []
if let h = handWritten {
    for (i, r) in base.enumerated() where HandWrittenPayments.result(of: vm.evaluate(r)) != h.evaluate(typed[i]) {
        fail("the hand-written baseline disagrees with the engine on record \(i + 1)")
    }
}

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

/// Runs `body` over all records `repetitions` times; returns the median decisions/s and the
/// latency percentiles (ns) of one repetition timed per batch of 16 decisions.
func measure(_ name: String, count: Int, repetitions: Int, _ body: (Int) -> Int64) -> (rate: Double, p50: Double, p99: Double) {
    var rates: [Double] = []
    var batchNanos: [Double] = []
    var sink: Int64 = 0
    for rep in 0..<repetitions {
        let start = DispatchTime.now().uptimeNanoseconds
        var i = 0
        while i < count {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let end = min(count, i + 16)
            while i < end {
                sink &+= body(i)
                i += 1
            }
            if rep == 0 { batchNanos.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 16) }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        rates.append(Double(count) / seconds)
    }
    if sink == 42 { print("") }  // keeps the work observable
    let sorted = batchNanos.sorted()
    return (median(rates), sorted[sorted.count / 2], sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))])
}

let compiled = measure("vm", count: records.count, repetitions: options.repetitions) { vm.evaluate(records[$0]).score }
if options.profile == "listing" {
    print(pack.program.listing)
    exit(0)
}
if options.profile == "vm" {
    print("compiled VM: \(Int(compiled.rate)) decisions/s")
    exit(0)
}
let byHand = handWritten.map { h in
    measure("hand", count: records.count, repetitions: options.repetitions) { h.evaluate(typed[$0 % typed.count]).score }
}
let referenceCount = min(records.count, 50_000)
let tree = measure("reference", count: referenceCount, repetitions: options.repetitions) { reference.evaluate(named[$0 % named.count]).score }

// JSON Lines path: parse + evaluate + write, as `warden eval` does (without file I/O).
let jsonLines = (0..<min(records.count, 100_000)).map { Substring(lines[$0 % lines.count]) }
var runner = JSONLinesRunner(pack: pack, explain: false)
var out = JSONWriter()
let json = measure("jsonl", count: jsonLines.count, repetitions: options.repetitions) { i in
    runner.process(line: jsonLines[i], into: &out)
    if out.bytes.count > 1 << 20 { out.bytes.removeAll(keepingCapacity: true) }
    return 0
}

// The embeddable engine, one event at a time on this thread: Engine.score on decoded records
// (what a payment service calling the library pays), the same with three velocity windows
// (payments.rules plus count, sum and distinct windows and a rule reading them; every event
// updates all three), and Engine.score on the JSON bytes (decode included).
let engine: Engine
do {
    engine = try Engine()
    try engine.load(name: "payments", path: options.rules)
} catch {
    fail("engine: \(error)")
}
let windowsPath = NSTemporaryDirectory() + "warden-bench-windows-\(getpid()).rules"
let windowsText = (try? String(contentsOfFile: options.rules, encoding: .utf8)) ?? ""
try? (windowsText + """

    window bench_txns_1h = count() by account_id over 1h
    window bench_amount_cny_24h = sum(amount_cny) by account_id over 24h
    window bench_devices_24h = distinct(device_id) by account_id over 24h max_keys 1000000
    rule BENCH_WINDOW_VELOCITY "Velocity from the engine's own windows"
      when bench_txns_1h >= 20 or bench_amount_cny_24h > 200000.00 or bench_devices_24h >= 4
      score 30

    """).write(toFile: windowsPath, atomically: true, encoding: .utf8)
defer { try? FileManager.default.removeItem(atPath: windowsPath) }
// Each repetition starts from empty window state (a fresh pack name, its events decoded by it
// before the clock starts), so every repetition sees the events in time order, as a live
// service would, rather than replaying the past into full windows.
@MainActor func windowedRun() -> (rate: Double, p50: Double, p99: Double) {
    var runs: [(rate: Double, p50: Double, p99: Double)] = []
    for repetition in 0..<options.repetitions {
        let name = "windows-\(repetition)"
        do {
            try engine.load(name: name, path: windowsPath)
        } catch {
            fail("engine with windows: \(error)")
        }
        let events = engineEvents(name)
        runs.append(measure("engine+windows", count: records.count, repetitions: 1) { i in
            engine.score(events[i % events.count]).decision.score
        })
    }
    let rates = runs.map(\.rate).sorted()
    return (rates[rates.count / 2], runs[0].p50, runs[0].p99)
}
/// The benchmark's records as events decoded by pack `name` (in file order).
@MainActor func engineEvents(_ name: String) -> [DecodedEvent] {
    let events = lines.prefix(records.count).compactMap { line -> DecodedEvent? in
        if case .success(let e) = engine.decode(pack: name, json: Array(line.utf8)) { return e }
        return nil
    }
    guard !events.isEmpty else { fail("no event decodes with pack \(name)") }
    return events
}
if options.profile == "windows" {
    // Only the engine with windows, for profilers (`--profile windows`).
    print("engine with three windows: \(Int(windowedRun().rate)) decisions/s")
    exit(0)
}
let windowed: (rate: Double, p50: Double, p99: Double)? = windowedRun()
let paymentEvents = engineEvents("payments")
let engineRate = measure("engine", count: records.count, repetitions: options.repetitions) { i in
    engine.score(paymentEvents[i % paymentEvents.count]).decision.score
}
let jsonBytes = (0..<min(records.count, 100_000)).map { Array(lines[$0 % lines.count].utf8) }
let engineJSON = measure("engine json", count: jsonBytes.count, repetitions: options.repetitions) { i in
    if case .success(let s) = engine.score(pack: "payments", json: jsonBytes[i]) { return s.decision.score }
    return 0
}

func f(_ x: Double) -> String { String(format: "%.0f", x) }
print("""
    warden-bench: \(options.rules), \(pack.program.rules.count) rules, \(base.count) distinct records (\(hits) hits), \
    \(ProcessInfo.processInfo.activeProcessorCount) cores, one thread, median of \(options.repetitions)
    | path                         | decisions/s | p50 ns | p99 ns | hand-written ÷ this |
    |------------------------------|------------:|-------:|-------:|--------------------:|
    | hand-written Swift (yardstick) | \(f(byHand?.rate ?? 0).padded(9)) | \(f(byHand?.p50 ?? 0).padded(6)) | \(f(byHand?.p99 ?? 0).padded(6)) | \("1.00".padded(19)) |
    | compiled VM                  | \(f(compiled.rate).padded(11)) | \(f(compiled.p50).padded(6)) | \(f(compiled.p99).padded(6)) | \(ratio(compiled.rate).padded(19)) |
    | reference tree-walker        | \(f(tree.rate).padded(11)) | \(f(tree.p50).padded(6)) | \(f(tree.p99).padded(6)) | \(ratio(tree.rate).padded(19)) |
    | JSONL parse+evaluate+write   | \(f(json.rate).padded(11)) | \(f(json.p50).padded(6)) | \(f(json.p99).padded(6)) | \(ratio(json.rate).padded(19)) |
    | Engine.score, record         | \(f(engineRate.rate).padded(11)) | \(f(engineRate.p50).padded(6)) | \(f(engineRate.p99).padded(6)) | \(ratio(engineRate.rate).padded(19)) |
    | Engine.score, 3 windows      | \(f(windowed?.rate ?? 0).padded(11)) | \(f(windowed?.p50 ?? 0).padded(6)) | \(f(windowed?.p99 ?? 0).padded(6)) | \(ratio(windowed?.rate ?? 0).padded(19)) |
    | Engine.score, JSON bytes     | \(f(engineJSON.rate).padded(11)) | \(f(engineJSON.p50).padded(6)) | \(f(engineJSON.p99).padded(6)) | \(ratio(engineJSON.rate).padded(19)) |

    targets (issue 6, one core): Engine ≥ 1,000,000 decisions/s without windows (\(String(format: "%.2f", engineRate.rate / 1e6))x), \
    ≥ 300,000/s with three windows (\(String(format: "%.2f", (windowed?.rate ?? 0) / 3e5))x); latencies are per decision, \
    timed over batches of 16
    """)

/// How many times slower than the hand-written yardstick (≤ 2.00 is the target for the VM).
func ratio(_ rate: Double) -> String {
    guard let h = byHand?.rate, rate > 0 else { return "n/a" }
    return String(format: "%.2f", h / rate)
}

extension String {
    func padded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

// Results for tools/bench: rates, latencies, and the decision counts over the input file that
// `warden eval` must reproduce.
if let path = options.json {
    var actions: [String: Int] = [:]
    for r in base { actions[pack.actionName(vm.evaluate(r)), default: 0] += 1 }
    func row(_ m: (rate: Double, p50: Double, p99: Double)?) -> [String: Double] {
        guard let m else { return [:] }
        return ["decisions_per_second": m.rate.rounded(), "p50_ns": m.p50.rounded(), "p99_ns": m.p99.rounded()]
    }
    let result: [String: Any] = [
        "rules": options.rules, "input": options.input, "valid_records": base.count,
        "invalid_lines": lines.count - base.count, "actions": actions,
        "hand_written": row(byHand), "compiled_vm": row(compiled), "reference": row(tree), "jsonl_in_process": row(json),
        "engine_record": row(engineRate), "engine_three_windows": row(windowed), "engine_json": row(engineJSON),
    ]
    let data = try! JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
    FileManager.default.createFile(atPath: path, contents: data)
}
