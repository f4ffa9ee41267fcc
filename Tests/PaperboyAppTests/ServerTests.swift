import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import PaperboyApp
import PaperboyTestSupport
import ServiceLifecycle
import Testing

@Suite struct ServerTests {
    @Test func server_startsInProcessFromAConfiguration_servesAndStopsGracefully() async throws {
        let directory = try TemporaryDirectory()
        let configuration = try await PaperboyConfiguration.load(
            commandLine: [
                .database: directory.path("server.sqlite"), .port: "0", .mail: directory.path("mail"), .digestHour: "-1",
                .arxivAPI: "off", .model: directory.path("no-model"), .siteName: "In-Process Lab", .logLevel: "warning",
            ],
            environment: [:])
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = try await PaperboyServer.make(configuration, onListening: { _, port, _ in continuation.yield(port) })
        let group = server.serviceGroup()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            #expect(server.site.url == "http://127.0.0.1:\(port)", "links use the bound port")
            let (data, response) = try await URLSession.shared.data(from: try #require(URL(string: "http://127.0.0.1:\(port)/")))
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            #expect(String(decoding: data, as: UTF8.self).contains("In-Process Lab"))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(try await server.store.paperCount() == 0)
    }
}
