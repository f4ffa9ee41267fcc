import Foundation
import Logging
@testable import PaperboyApp
import Testing

@Suite struct OperationsSettingsTests {
    @Test func operationsSettings_defaultsAndValues() async throws {
        let defaults = try await PaperboyConfiguration.load(environment: [:])
        #expect(defaults.server.logFormat == .text)
        #expect(defaults.server.metricsPort == nil, "no metrics unless asked for")
        #expect(defaults.server.metricsHost == "127.0.0.1")
        #expect(defaults.server.compression)
        #expect(defaults.server.otlpEndpoint == nil, "no tracing unless asked for")
        let set = try await PaperboyConfiguration.load(
            commandLine: [.logFormat: "json", .metricsPort: "9464", .compression: "off"], environment: ["PAPERBOY_METRICS_HOST": "::1"])
        #expect(set.server.logFormat == .json && set.server.metricsPort == 9464 && set.server.metricsHost == "::1" && !set.server.compression)
        let traced = try await PaperboyConfiguration.load(environment: ["PAPERBOY_OTLP_ENDPOINT": "http://127.0.0.1:4318"])
        #expect(traced.server.otlpEndpoint == "http://127.0.0.1:4318")
    }

    @Test func badOperationsValues_failWithTheFlagAndTheVariableNamed() async throws {
        await #expect(throws: ConfigurationError("--log-format (or PAPERBOY_LOG_FORMAT) is text or json, not \"yaml\".")) {
            try await PaperboyConfiguration.load(commandLine: [.logFormat: "yaml"], environment: [:])
        }
        await #expect(throws: ConfigurationError("--metrics-port (or PAPERBOY_METRICS_PORT) must be a number from 0 to 65535, not \"prometheus\".")) {
            try await PaperboyConfiguration.load(environment: ["PAPERBOY_METRICS_PORT": "prometheus"])
        }
        await #expect(throws: ConfigurationError("--compression (or PAPERBOY_COMPRESSION) is on or off, not \"brotli\".")) {
            try await PaperboyConfiguration.load(commandLine: [.compression: "brotli"], environment: [:])
        }
        for endpoint in ["127.0.0.1:4318", "grpc://collector:4317", "http://collector:4318/?x=1"] {
            await #expect(throws: ConfigurationError(
                "--otlp-endpoint (or PAPERBOY_OTLP_ENDPOINT) is an OTLP/HTTP collector address like http://127.0.0.1:4318, not \"\(endpoint)\".")) {
                try await PaperboyConfiguration.load(commandLine: [.otlpEndpoint: endpoint], environment: [:])
            }
        }
    }

    @Test func jsonLogLine_isOneObject_evenWithHostileValues() throws {
        let hostile = "a\"b\\c\nforged {\"level\":\"critical\"}\r\t\u{01}\u{2028}é"
        let line = JSONLogHandler.line(
            time: Date(timeIntervalSince1970: 1_738_670_400), level: .info, label: "paperboy.server", message: "request",
            fields: ["route": "/search", "client": hostile, "message": "overwritten?"])
        #expect(line.hasSuffix("}\n"))
        #expect(line.dropLast().firstIndex(of: "\n") == nil, "one line")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["client"] == hostile)
        #expect(object["message"] == "request", "metadata cannot replace the fixed fields")
        #expect(object["time"] == "2025-02-04T12:00:00.000Z")
        #expect(object["level"] == "info" && object["route"] == "/search")
    }
}
