import Foundation
import PaperboySearch
import Testing

/// The binary's embeddings under every OpenBLAS kernel this CPU can run match sentence-transformers'
/// (cosine ≥ 0.9999), so a kernel that computes wrong results is caught before it is chosen; and
/// with no `OPENBLAS_CORETYPE`, `paperboy` runs the kernel `OpenBLASKernel` prefers for this CPU.
@Suite(.serialized) struct OpenBLASKernelTests {
    static let flags = OpenBLASKernel.cpuFlags()

    @Test func everyRunnableKernel_computesTheReferenceEmbeddings() throws {
        let kernels = OpenBLASKernel.runnable(flags: Self.flags)
        try #require(!kernels.isEmpty, "no x86-64 kernel found for this CPU: \(Self.flags.sorted().prefix(20))")
        for kernel in kernels {
            let result = try run(Locations.binary, ["bench", "reference"], environment: ["OPENBLAS_CORETYPE": kernel], timeout: 300)
            #expect(result.status == 0, "\(kernel): \(result.standardOutput) \(result.standardError)")
            // OpenBLAS honoured the variable: the kernel named is the one asked for.
            #expect(result.standardOutput.lowercased().contains("kernel \(kernel.lowercased()):"), "\(kernel): \(result.standardOutput)")
        }
    }

    @Test func withoutOpenBLASCoretype_thePreferredKernelRuns() throws {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil else {
            // The child would inherit the runner's own choice, which wins by design.
            return
        }
        // This test process loaded OpenBLAS without the variable: `current` is OpenBLAS's own choice.
        let own = OpenBLASKernel.current
        let preferred = OpenBLASKernel.preferred(flags: Self.flags)
        let expected = OpenBLASKernel.shouldSwitch(from: own, to: preferred) ? preferred ?? own : own
        let result = try run(Locations.binary, ["bench", "reference"], timeout: 300)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.lowercased().contains("kernel \(expected.lowercased()):"),
                "OpenBLAS alone: \(own), preferred: \(preferred ?? "none"); ran: \(result.standardOutput)")
    }

    /// Where OpenBLAS falls back (Debian 12's on Sapphire Rapids takes Prescott), `paperboy` runs
    /// itself again with the preferred kernel. The debug build lets a test say what OpenBLAS took.
    @Test func afterAFallback_paperboyRunsItselfAgainWithThePreferredKernel() throws {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil else { return }
        let preferred = try #require(OpenBLASKernel.preferred(flags: Self.flags))
        let result = try run(Locations.binary, ["bench", "reference"], environment: ["PAPERBOY_TEST_OPENBLAS_TOOK": "Prescott"], timeout: 300)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.lowercased().contains("kernel \(preferred.lowercased()):"), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("OpenBLAS kernel \(preferred) (chosen by Paperboy"), "\(result.standardOutput)")
    }
}
