import Hummingbird
import WardenEngine

/// Responses with JSON bodies; every error the service returns is `{"error": "…", …}`.
enum JSONResponse {
    static let contentType = "application/json"

    static func ok(_ json: String) -> Response {
        make(.ok, json)
    }

    static func make(_ status: HTTPResponse.Status, _ json: String, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
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
