import Foundation
import PaperboyTestSupport
import Testing

/// The systemd unit in deploy/ is valid and as locked down as it says (systemd's own checks;
/// ReverseProxyEndToEndTests runs the nginx site for real).
@Suite struct DeployFilesTests {
    @Test func systemdUnit_verifies_andItsExposureIsLow() throws {
        guard let analyze = Locations.tool("systemd-analyze", environmentKey: "PAPERBOY_SYSTEMD_ANALYZE", fallbacks: ["/usr/bin/systemd-analyze"]) else {
            throw TestFailure("systemd-analyze is missing: scripts/install-system-packages systemd (scripts/test installs it)")
        }
        let directory = try TemporaryDirectory()
        var unit = try String(contentsOf: Locations.repository.appendingPathComponent("deploy/paperboy.service"), encoding: .utf8)
        guard unit.contains("/usr/local/bin/paperboy") else { throw TestFailure("deploy/paperboy.service no longer runs /usr/local/bin/paperboy") }
        // The unit as installed, with this build's binary where the install puts it.
        unit = unit.replacingOccurrences(of: "/usr/local/bin/paperboy", with: Locations.binary)
        let path = try directory.write("paperboy.service", unit)
        let verified = try run(analyze, ["verify", path])
        #expect(verified.status == 0 && verified.standardError.isEmpty, "\(verified.standardError)")
        // systemd's 0-10 exposure scale; 2.0 and below is what it calls "OK".
        let security = try run(analyze, ["security", "--offline=true", "--threshold=20", path])
        #expect(security.status == 0, "\(security.standardOutput.suffix(3000))")
        let exposure = SecurityEndToEndTests.capture(#"Overall exposure level for paperboy\.service: ([0-9.]+)"#, in: security.standardOutput).flatMap(Double.init)
        #expect((exposure ?? 10) <= 2.0, "exposure \(String(describing: exposure))")
    }
}
