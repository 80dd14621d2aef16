import Hummingbird
import WardenEngine

/// Responses with JSON bodies; every error the service returns is `{"error": "…", …}`.
enum JSONResponse {
    static let contentType = "application/json"

    static func ok(_ json: String) -> Response {
        make(.ok, json)
    }

    /// Built once: HTTPFields validate and allocate on creation; copies share storage.
    static let headers: HTTPFields = [.contentType: contentType]

    static func make(_ status: HTTPResponse.Status, _ json: String, headers extra: HTTPFields = [:]) -> Response {
        var headers = Self.headers
        if !extra.isEmpty { headers.append(contentsOf: extra) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
    }

    /// 200 with a JSON body already in bytes.
    static func ok(bytes: [UInt8]) -> Response {
        Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `{"error": message, extra…}`; `extra` values are raw JSON.
    static func error(_ status: HTTPResponse.Status, _ message: String, extra: [(String, String)] = [],
                      headers: HTTPFields = [:]) -> Response {
        make(status, errorObject(message, extra: extra), headers: headers)
    }

    static func errorObject(_ message: String, extra: [(String, String)] = []) -> String {
        var w = JSONWriter()
        w.writeRaw("{\"error\":")
        w.writeString(message)
        for (k, raw) in extra {
            w.writeRaw(",")
            w.writeString(k)
            w.writeRaw(":")
            w.writeRaw(raw)
        }
        w.writeRaw("}")
        return w.string
    }

    /// A JSON string literal.
    static func string(_ s: String) -> String {
        var w = JSONWriter()
        w.writeString(s)
        return w.string
    }

    /// A JSON array of string literals.
    static func strings(_ items: [String]) -> String {
        "[" + items.map(string).joined(separator: ",") + "]"
    }
}
