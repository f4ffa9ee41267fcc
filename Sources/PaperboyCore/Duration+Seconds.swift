extension Duration {
    /// The duration as a number of seconds, for rates and reports.
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    /// The duration as a number of milliseconds, for latency reports.
    public var inMilliseconds: Double { inSeconds * 1_000 }
}
