import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import WardenEngine

/// Turns alerting decisions into alerts without ever blocking or slowing scoring.
///
/// The scoring path calls ``submit(_:)``, which puts the decision on a bounded in-memory queue
/// and returns (no I/O, no rendering). A background task (this `Service`) drains the queue in
/// batches: renders each alert (`alert_id`, `at`, masked decision), appends the batch to the
/// rotating alerts file, then POSTs it to the webhook with retries and exponential backoff.
///
/// Nothing is dropped:
/// - queue full (the writer is behind, say the webhook is down) → the alert is rendered and
///   written to `dead-letter.jsonl` on the spot (reason `queue_full`);
/// - webhook fails every attempt, or answers a 4xx that retrying cannot fix → the batch goes to
///   the dead-letter file (reason `webhook`), after it is already in the alerts file;
/// - the alerts file cannot be written → the batch goes to the dead-letter file (reason `file`);
/// - graceful shutdown: the server stops taking requests first, then the queue is drained with
///   one webhook attempt per batch; what fails goes to the dead-letter file (reason `shutdown`).
///
/// A batch is written to the dead-letter file only after its last attempt failed, and a batch
/// the webhook accepted (2xx) is never sent again: each alert reaches the webhook once or sits
/// in the dead-letter file. (A POST whose 2xx response is lost in transit, a timeout after the
/// receiver acted, is retried: receivers deduplicate on `alert_id` / `Idempotency-Key`.)
final class AlertPipeline: Service, Sendable {
    let queue: AlertQueue<PendingAlert>
    let file: AlertFileSink?
    let deadLetter: DeadLetterFile
    let webhook: WebhookClient?
    let delivery: ServerConfiguration.WebhookDelivery
    let metrics: ServerMetrics
    let logger: Logger

    /// Alerts taken from the queue per round (the file gets them in one write; the webhook in
    /// POSTs of `delivery.maxBatch`).
    static let roundSize = 1_000
    /// A round smaller than that waits this long for company: at most ~100 file syncs a second
    /// however alerts trickle in.
    static let linger: Duration = .milliseconds(10)

    /// File writes and syncs block their thread: they run on this serial queue, never on the
    /// two-thread cooperative pool that scoring runs on (an `fsync` there stalled scoring).
    private let io = DispatchQueue(label: "warden.alerts.io")

    init(directory: String, webhook: URL?, configuration: ServerConfiguration, metrics: ServerMetrics, logger: Logger) throws(AppendFile.Failure) {
        queue = AlertQueue(capacity: configuration.alertQueueCapacity)
        file = AlertFileSink(directory: directory, maxBytes: configuration.alertFileMaxBytes)
        deadLetter = try DeadLetterFile(directory: directory)
        self.webhook = webhook.map { WebhookClient(url: $0, timeout: configuration.webhookDelivery.requestTimeout) }
        delivery = configuration.webhookDelivery
        self.metrics = metrics
        self.logger = logger
    }

    /// Hands an alerting decision to the background writer. Never blocks on I/O unless the
    /// queue is full, when the alert goes straight to the dead-letter file.
    func submit(_ scored: ScoredDecision) {
        let alert = PendingAlert(scored: scored, at: Date())
        switch queue.offer(alert) {
        case .enqueued: return
        case .full: deadLetterNow([alert.render()], reason: "queue_full")
        case .finished: deadLetterNow([alert.render()], reason: "shutdown")
        }
    }

    var depth: Int { queue.count }

    // MARK: The background writer

    private let shuttingDown = ShutdownFlag()

    func run() async throws {
        // Graceful shutdown and cancellation both end intake and drain what is queued (on
        // cancellation the webhook's waits end at once, so what fails is dead-lettered).
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                while var batch = await queue.take(max: Self.roundSize) {
                    if batch.count < Self.roundSize, !shuttingDown.isSet {
                        try? await Task.sleep(for: Self.linger)
                        batch += queue.poll(max: Self.roundSize - batch.count)
                    }
                    await deliver(batch.map { $0.render() })
                }
            } onGracefulShutdown: {
                self.shuttingDown.set()
                self.queue.finish()
            }
        } onCancel: {
            self.shuttingDown.set()
            self.queue.finish()
        }
        logger.info("alert writer stopped", metadata: ["dead_lettered_total": "\(metrics.deadLettered)"])
    }

    private func deliver(_ alerts: [RenderedAlert]) async {
        if let file {
            let written: Result<Void, AppendFile.Failure> = await onIOQueue {
                do throws(AppendFile.Failure) { try file.write(alerts); return .success(()) } catch { return .failure(error) }
            }
            switch written {
            case .success:
                metrics.alertsWritten(sink: "file", count: alerts.count)
            case .failure(let error):
                logger.error("cannot write the alerts file", metadata: ["error": "\(Redact.numbers(in: error.description))"])
                if webhook == nil {
                    await onIOQueue { self.deadLetterNow(alerts, reason: "file") }
                    return
                }
            }
        }
        guard let webhook else { return }
        var start = 0
        while start < alerts.count {
            let end = min(alerts.count, start + max(1, delivery.maxBatch))
            await post(Array(alerts[start..<end]), to: webhook)
            start = end
        }
    }

    private func post(_ alerts: [RenderedAlert], to webhook: WebhookClient) async {
        var body: [UInt8] = [UInt8(ascii: "[")]
        for (i, a) in alerts.enumerated() {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: a.json.utf8)
        }
        body.append(UInt8(ascii: "]"))
        let key = alerts[0].id.uuidString.lowercased()
        var backoff = delivery.initialBackoff
        var attempt = 0
        while true {
            attempt += 1
            let outcome = await webhook.post(body, idempotencyKey: key)
            // While shutting down, one attempt per batch: the process is on its way out.
            let finalRound = shuttingDown.isSet
            let last = finalRound || attempt >= max(1, delivery.attempts)
            let failure: String
            switch outcome {
            case .delivered:
                metrics.alertsWritten(sink: "webhook", count: alerts.count)
                if attempt > 1 {
                    logger.info("webhook delivered after retries", metadata: ["alerts": "\(alerts.count)", "attempts": "\(attempt)"])
                }
                return
            case .permanent(let why):
                failure = why
            case .transient(let why) where last:
                failure = why
            case .transient(let why):
                metrics.alertRetried(count: alerts.count)
                if attempt == 1 {
                    logger.warning("webhook delivery failed; retrying",
                                   metadata: ["alerts": "\(alerts.count)", "error": "\(Redact.numbers(in: why))"])
                }
                // Graceful shutdown cuts the wait short; the next attempt is then the last.
                let wait = backoff
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
                backoff = min(backoff * 2, delivery.maxBackoff)
                continue
            }
            let reason = finalRound ? "shutdown" : "webhook"
            logger.error("webhook delivery failed; alerts go to the dead-letter file",
                         metadata: ["alerts": "\(alerts.count)", "attempts": "\(attempt)",
                                        "error": "\(Redact.numbers(in: failure))", "dead_letter": "\(deadLetter.path)"])
            let attempts = attempt
            await onIOQueue { self.deadLetterNow(alerts, reason: reason, attempts: attempts) }
            return
        }
    }

    /// Runs blocking file I/O on ``io`` and resumes with its result.
    private func onIOQueue<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in io.async { c.resume(returning: body()) } }
    }

    private func deadLetterNow(_ alerts: [RenderedAlert], reason: String, attempts: Int = 0) {
        do {
            try deadLetter.write(alerts, reason: reason, attempts: attempts)
            metrics.alertsDeadLettered(reason: reason, count: alerts.count)
        } catch {
            // The last resort failed too (disk full, directory gone): say so loudly, with the ids.
            logger.critical("cannot write the dead-letter file: alerts lost",
                            metadata: ["alerts": "\(alerts.count)", "error": "\(error.description)",
                                       "alert_ids": "\(alerts.map { $0.id.uuidString.lowercased() }.joined(separator: ","))"])
            metrics.alertsDeadLettered(reason: "lost", count: alerts.count)
        }
    }
}

/// Set once, read from the writer task.
final class ShutdownFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .releasing) }
    var isSet: Bool { flag.load(ordering: .acquiring) }
}
