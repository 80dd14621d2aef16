import Foundation
import Hummingbird
import Logging
import WardenEngine

extension ScoringServer {
    /// Every route, behind the metrics/error middleware and (with a token) bearer auth.
    func buildRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics, logger: logger))
        if let token = configuration.token { router.add(middleware: AuthMiddleware(token: token)) }

        router.get("/healthz") { _, _ in JSONResponse.ok("{\"status\":\"ok\"}") }
        router.get("/readyz") { _, _ in self.ready() }
        router.get("/metrics") { _, _ in
            let text = self.metrics.render(engine: self.engine, inFlight: self.limiter.current, alertQueueDepth: self.alerts?.depth)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        router.post("/v1/score") { request, _ in await self.scoreOne(request) }
        router.post("/v1/score/batch") { request, _ in await self.scoreBatch(request) }
        router.get("/v1/rules") { _, _ in self.rules() }
        router.post("/v1/rules/reload") { request, _ in self.reload(request) }
        return router
    }

    // MARK: Probes and rules

    func ready() -> Response {
        let loaded = engine.loaded
        guard !loaded.isEmpty else { return JSONResponse.error(.serviceUnavailable, "no pack is loaded") }
        return JSONResponse.ok("{\"status\":\"ready\",\"packs\":\(JSONResponse.strings(loaded.map(\.name)))}")
    }

    func rules() -> Response {
        JSONResponse.ok("{\"packs\":" + Self.json(engine.loaded) + "}")
    }

    /// Reloads one pack (`?pack=NAME`) or all from their files. Any failure → 422 with the
    /// rendered diagnostics; the failed pack's previous version keeps serving.
    func reload(_ request: Request) -> Response {
        let names: [String]
        if let name = request.uri.queryParameters["pack"].map(String.init) {
            guard engine.pack(name) != nil else {
                return JSONResponse.error(.notFound, "no pack named '\(name)' is loaded",
                                          extra: [("packs", JSONResponse.strings(engine.loaded.map(\.name)))])
            }
            names = [name]
        } else {
            names = engine.loaded.map(\.name)
        }
        var reloaded: [Engine.PackInfo] = []
        var failed: [String] = []
        for name in names {
            do throws(PackError) {
                let info = try engine.reload(name: name)
                reloaded.append(info)
                logger.info("pack reloaded", metadata: Self.metadata(info))
            } catch {
                let serving = engine.loaded.first { $0.name == name }
                logger.error("pack reload failed; the previous version keeps serving",
                             metadata: ["pack": "\(name)", "diagnostics": "\(error.diagnostics.count)",
                                        "serving_hash": "\(serving?.contentHash ?? "-")",
                                        "errors": "\(error.rendered)"])
                var w = JSONWriter()
                w.writeRaw("{\"pack\":")
                w.writeString(name)
                w.writeRaw(",\"diagnostics\":")
                w.writeString(error.rendered)
                w.writeRaw(",\"serving\":")
                w.writeRaw(serving.map { Self.json($0) } ?? "null")
                w.writeRaw("}")
                failed.append(w.string)
            }
        }
        let body = "{\"reloaded\":" + Self.json(reloaded) + ",\"failed\":[" + failed.joined(separator: ",") + "]"
        if failed.isEmpty { return JSONResponse.ok(body + "}") }
        var w = JSONWriter()
        w.writeString(failed.count == 1 && names.count == 1
                      ? "pack '\(names[0])' does not compile; the previous version keeps serving"
                      : "\(failed.count) of \(names.count) packs do not compile; their previous versions keep serving")
        return JSONResponse.make(.unprocessableContent, body + ",\"error\":" + w.string + "}")
    }

    // MARK: Scoring

    /// Which pack a scoring request names, and whether it asks for explanations.
    private func target(_ request: Request) -> Result<(pack: String, explain: Bool), Refusal> {
        let query = request.uri.queryParameters
        var explain = false
        if let e = query["explain"] {
            switch e {
            case "true", "1": explain = true
            case "false", "0": explain = false
            default: return .failure(Refusal(.badRequest, "explain must be true or false, got '\(e)'"))
            }
        }
        if let name = query["pack"].map(String.init) {
            guard engine.pack(name) != nil else {
                return .failure(Refusal(.notFound, "no pack named '\(name)' is loaded",
                                        extra: [("packs", JSONResponse.strings(engine.loaded.map(\.name)))]))
            }
            return .success((name, explain))
        }
        // The names never change after startup (a reload replaces a version, not a name).
        guard packNames.count == 1 else {
            return .failure(Refusal(.badRequest, "\(packNames.count) packs are loaded: name one with ?pack=NAME",
                                    extra: [("packs", JSONResponse.strings(packNames))]))
        }
        return .success((packNames[0], explain))
    }

    struct Refusal: Error {
        let response: Response
        init(_ status: HTTPResponse.Status, _ message: String, extra: [(String, String)] = [], headers: HTTPFields = [:]) {
            response = JSONResponse.error(status, message, extra: extra, headers: headers)
        }
    }

    /// What a scoring request names (pack, explain) and its body within `limit` bytes; the
    /// deadline runs from here.
    private func scoringRequest(_ request: Request, limit: Int) async
        -> Result<(pack: String, explain: Bool, body: ByteBuffer), Refusal>
    {
        let start = ContinuousClock.now
        let pack: String, explain: Bool
        switch target(request) {
        case .success(let t): (pack, explain) = t
        case .failure(let r): return .failure(r)
        }
        switch await readBody(request, limit: limit, start: start) {
        case .success(let body): return .success((pack, explain, body))
        case .failure(let r): return .failure(r)
        }
    }

    /// Reads the body, within `limit` bytes (413) and before the deadline (504).
    ///
    /// The deadline runs from when the handler starts and is checked once the body is in: a
    /// request whose body took longer is not scored. Scoring that has started always finishes
    /// (microseconds per event), so a window never counts an event whose decision was not
    /// returned. Racing the body against a timer task instead cost 35% of throughput (three
    /// extra executor hops per request); a connection that stalls mid-body is closed by the
    /// idle timeout, and only an authenticated client gets as far as reading the body.
    private func readBody(_ request: Request, limit: Int, start: ContinuousClock.Instant) async -> Result<ByteBuffer, Refusal> {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            return .failure(Refusal(.contentTooLarge, "the body is \(length) bytes; this route accepts at most \(limit)"))
        }
        let deadline = start.advanced(by: configuration.deadline)
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            // Hummingbird's NIOTooManyBytesError: a body without Content-Length that grew too big.
            return .failure(Refusal(.contentTooLarge, "the body is larger than \(limit) bytes, the most this route accepts"))
        } catch {
            return .failure(Refusal(.badRequest, "cannot read the request body"))
        }
        guard ContinuousClock.now <= deadline else { return .failure(deadlineExceeded()) }
        return .success(body)
    }

    private func deadlineExceeded() -> Refusal {
        Refusal(.gatewayTimeout, "the request was not ready to score within the \(Self.milliseconds(configuration.deadline)) ms deadline; it was not scored")
    }

    private func overloaded() -> Response {
        JSONResponse.error(.serviceUnavailable, "too many scoring requests in flight (limit \(limiter.limit)); retry shortly",
                           headers: [.retryAfter: "1"])
    }

    /// `POST /v1/score`: one event → its decision.
    func scoreOne(_ request: Request) async -> Response {
        guard limiter.tryAcquire() else { return overloaded() }
        defer { limiter.release() }
        let pack: String, explain: Bool, body: ByteBuffer
        switch await scoringRequest(request, limit: configuration.maxBodyBytes) {
        case .success(let r): (pack, explain, body) = r
        case .failure(let r): return r.response
        }
        switch engine.score(pack: pack, json: Array(buffer: body), explain: explain) {
        case .success(let scored):
            if scored.alerts { alerts?.submit(scored) }
            metrics.decision(scored, pack: pack)
            var w = JSONWriter()
            w.bytes.reserveCapacity(512)
            scored.writeJSON(into: &w)
            return JSONResponse.ok(bytes: w.bytes)
        case .failure(let error):
            metrics.invalidEvent(pack: pack)
            return Self.refusal(error).response
        }
    }

    /// `POST /v1/score/batch`: a JSON array of events → a JSON array of decisions in order; an
    /// invalid event gives `{"index": i, "error": …, "field": …}` at its place.
    func scoreBatch(_ request: Request) async -> Response {
        guard limiter.tryAcquire() else { return overloaded() }
        defer { limiter.release() }
        let pack: String, explain: Bool, body: ByteBuffer
        switch await scoringRequest(request, limit: configuration.maxBatchBytes) {
        case .success(let r): (pack, explain, body) = r
        case .failure(let r): return r.response
        }
        let bytes = Array(buffer: body)
        let split = bytes.withUnsafeBytes { b -> Result<[Range<Int>], JSONArrayElements.Failure> in
            do throws(JSONArrayElements.Failure) { return .success(try JSONArrayElements.split(b)) } catch { return .failure(error) }
        }
        let ranges: [Range<Int>]
        switch split {
        case .success(let r): ranges = r
        case .failure(let error):
            return JSONResponse.error(.badRequest, "invalid JSON at byte \(error.offset + 1): \(error.message)")
        }
        guard ranges.count <= configuration.maxBatchEvents else {
            return JSONResponse.error(.contentTooLarge, "the batch has \(ranges.count) events; at most \(configuration.maxBatchEvents) are accepted")
        }
        var out = JSONWriter()
        out.bytes.reserveCapacity(ranges.count * 400 + 2)
        out.writeRaw("[")
        var tally = DecisionTally()
        for (i, range) in ranges.enumerated() {
            if i > 0 { out.writeRaw(",") }
            switch engine.score(pack: pack, json: Array(bytes[range]), explain: explain) {
            case .success(let scored):
                if scored.alerts { alerts?.submit(scored) }
                scored.writeJSON(into: &out)
                tally.add(scored)
            case .failure(let error):
                tally.invalid += 1
                out.writeRaw("{\"index\":\(i),\"error\":")
                out.writeString(error.description)
                if case .invalidRecord(let e) = error, let field = e.field {
                    out.writeRaw(",\"field\":")
                    out.writeString(field)
                }
                out.writeRaw("}")
            }
        }
        out.writeRaw("]")
        metrics.decisions(tally, pack: pack)
        return JSONResponse.ok(bytes: out.bytes)
    }

    static func refusal(_ error: Engine.ScoreError) -> Refusal {
        switch error {
        case .unknownPack(let p):
            return Refusal(.notFound, "no pack named '\(p)' is loaded")
        case .invalidRecord(let e):
            return Refusal(.badRequest, error.description, extra: e.field.map { [("field", JSONResponse.string($0))] } ?? [])
        }
    }

    static func milliseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
