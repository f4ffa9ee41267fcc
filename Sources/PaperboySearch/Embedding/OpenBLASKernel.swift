import COpenBLAS
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which OpenBLAS kernel runs, and choosing a fast one where OpenBLAS does not know the CPU.
///
/// Debian 12's OpenBLAS (0.3.21) picks its kernel when the library loads, from the CPU model it
/// knows. It does not know Sapphire Rapids and newer Xeons, and falls back to `Prescott`, its
/// slowest x86-64 kernel (3.6× slower embedding, BENCHMARKS.md). It reads `OPENBLAS_CORETYPE` only
/// at load, before `main`, so the only way to change it is to run the program again with the
/// variable set: `chooseBeforeUse` does that once, at the start of `paperboy`, and only when the
/// kernel OpenBLAS took is an older one of the same line than the CPU's features allow.
public enum OpenBLASKernel {
    /// The x86-64 kernels of OpenBLAS 0.3.21, oldest first, with the CPU features each needs.
    /// Later ones run everything earlier ones do.
    public static let intelLine: [(name: String, needs: Set<String>)] = [
        ("Prescott", ["pni"]),  // SSE3, as Linux names it
        ("Core2", ["ssse3"]),
        ("Nehalem", ["sse4_2"]),
        ("Sandybridge", ["avx"]),
        ("Haswell", ["avx2", "fma"]),
        ("SkylakeX", ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]),
        ("Cooperlake", ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16"]),
    ]

    /// Set (to the kernel) in the environment of the run `chooseBeforeUse` started, so it is not
    /// mistaken for the user's own `OPENBLAS_CORETYPE` and the choice is said in the log.
    public static let chosenMarker = "PAPERBOY_OPENBLAS_CHOSEN"

    /// The kernel OpenBLAS runs.
    public static var current: String { String(cString: openblas_get_corename()) }

    /// The CPU's feature flags, as Linux reports them (only features the kernel enabled).
    public static func cpuFlags(cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) -> Set<String> {
        guard let cpuinfo, let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(separator: ":", maxSplits: 1).last?.split(separator: " ").map(String.init) ?? [])
    }

    /// The kernels of the line this CPU can run, oldest first.
    public static func runnable(flags: Set<String>) -> [String] {
        intelLine.filter { $0.needs.isSubset(of: flags) }.map(\.name)
    }

    /// The kernel to run on a CPU with `flags`: the newest one it can run whose single-precision
    /// matrix product differs from its predecessor's. Cooperlake adds only bfloat16 routines to
    /// SkylakeX's, so SkylakeX is chosen.
    public static func preferred(flags: Set<String>) -> String? {
        runnable(flags: flags).last { $0 != "Cooperlake" }
    }

    /// Whether to run again with `preferred` set: OpenBLAS took an older kernel of the line (or
    /// one it reports as unknown) than the CPU runs. A kernel outside the line (AMD's Zen, ARM's)
    /// is OpenBLAS's own informed choice and kept.
    public static func shouldSwitch(from current: String, to preferred: String?) -> Bool {
        guard let preferred else { return false }
        let names = intelLine.map { $0.name.lowercased() }
        guard let wanted = names.firstIndex(of: preferred.lowercased()) else { return false }
        if current.lowercased() == "unknown" { return true }
        guard let running = names.firstIndex(of: current.lowercased()) else { return false }
        return running < wanted
    }

    /// What `chooseBeforeUse` found, for the log.
    public static var description: String {
        let environment = ProcessInfo.processInfo.environment
        if let chosen = environment[chosenMarker] {
            return "OpenBLAS kernel \(current) (chosen by Paperboy for this CPU: OpenBLAS alone would take a slower one; set OPENBLAS_CORETYPE to override)"
                + (chosen.lowercased() == current.lowercased() ? "" : "; asked for \(chosen)")
        }
        if let own = environment["OPENBLAS_CORETYPE"] { return "OpenBLAS kernel \(current) (OPENBLAS_CORETYPE=\(own))" }
        return "OpenBLAS kernel \(current) (OpenBLAS's own choice)"
    }

    /// Runs the program again, once, with `OPENBLAS_CORETYPE` set to the preferred kernel, when
    /// OpenBLAS took a slower one. A user's own `OPENBLAS_CORETYPE` always wins. Call first
    /// thing in `main`; if the program cannot be run again, it goes on with the kernel it has.
    public static func chooseBeforeUse() {
        #if os(Linux) && arch(x86_64)
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil, environment[chosenMarker] == nil else { return }
        var taken = current
        #if DEBUG
        // Tests stand in for a CPU OpenBLAS does not know: it reports this kernel instead.
        if let pretended = environment["PAPERBOY_TEST_OPENBLAS_TOOK"] { taken = pretended }
        #endif
        let wanted = preferred(flags: cpuFlags())
        guard shouldSwitch(from: taken, to: wanted), let wanted else { return }
        setenv("OPENBLAS_CORETYPE", wanted, 1)
        setenv(chosenMarker, wanted, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Still here: exec failed. Keep the kernel we have, and say so in the log.
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(chosenMarker)
        #endif
    }
}
