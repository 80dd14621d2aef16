import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// POSTs alert batches to the webhook.
///
/// Uses `URLSession` (FoundationNetworking, over libcurl on Linux) rather than AsyncHTTPClient:
/// it ships with the toolchain, so the `warden` binary builds no extra package (AsyncHTTPClient
/// adds swift-nio-ssl and BoringSSL: minutes of release build), and it speaks HTTPS. The
/// webhook carries small batches at alert rates, not scoring traffic, so a NIO-native
/// connection pool buys nothing here.
struct WebhookClient: Sendable {
    let url: URL
    let timeout: Duration
    private let session: URLSession

    init(url: URL, timeout: Duration) {
        self.url = url
        self.timeout = timeout
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = Self.seconds(timeout)
        config.timeoutIntervalForResource = Self.seconds(timeout)
        session = URLSession(configuration: config)
    }

    enum Outcome: Sendable, Equatable {
        case delivered
        /// Worth retrying: connection refused or reset, timeout, 5xx, 408, 429.
        case transient(String)
        /// Retrying will not help (another 4xx): the batch goes to the dead-letter file at once.
        case permanent(String)
    }

    /// POSTs `body` (a JSON array of alerts) once.
    func post(_ body: [UInt8], idempotencyKey: String) async -> Outcome {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.timeoutInterval = Self.seconds(timeout)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        // The first alert id of the batch: a receiver that saw this batch already (its response
        // was lost) can recognise the retry; each alert also carries its own alert_id.
        request.setValue(idempotencyKey, forHTTPHeaderField: "Idempotency-Key")
        do {
            let (_, response) = try await session.data(for: request)
            guard let http = response as? HTTPURLResponse else { return .transient("no HTTP response") }
            switch http.statusCode {
            case 200..<300: return .delivered
            case 408, 429, 500...: return .transient("HTTP \(http.statusCode)")
            default: return .permanent("HTTP \(http.statusCode)")
            }
        } catch {
            return .transient((error as NSError).localizedDescription)
        }
    }

    private static func seconds(_ d: Duration) -> TimeInterval {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
