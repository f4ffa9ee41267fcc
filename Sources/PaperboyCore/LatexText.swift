import Synchronization

/// Makes the LaTeX that arXiv abstracts carry readable as plain text without JavaScript:
/// `$O(n^2)$` becomes `O(n²)`, `\alpha` becomes `α`, `\textbf{x}` becomes `x`.
/// The stored abstract keeps the original; this is for display only.
public enum LatexText {
    /// `remember`: keep the result for the next page that shows the same text (see `recent`).
    /// Background passes over every paper (key phrases) say no, so as not to push out what pages need.
    public static func legible(_ text: String, remember: Bool = true) -> String {
        // A byte scan: Foundation's String.contains showed up in page-render profiles.
        var text = text
        guard text.withUTF8({ bytes in bytes.contains { $0 == UInt8(ascii: "$") || $0 == UInt8(ascii: "\\") } }) else { return text }
        guard remember, text.utf8.count <= memoTextLimit else { return convert(text) }
        if let known = recent.withLock({ $0.results[text] }) { return known }
        let result = convert(text)
        recent.withLock { memo in
            if memo.results.count >= memoCapacity { memo.results.removeAll(keepingCapacity: true) }
            memo.results[text] = result
        }
        return result
    }

    /// Texts with LaTeX converted lately. The conversion walks `Character`s, and every uncached
    /// page converts the same titles and abstracts again: 7% of an uncached daily page (issue 17).
    /// Looking a 1.5 kB abstract up costs a hash and a compare of its bytes. Emptied when full,
    /// which a day's pages do not reach; texts over `memoTextLimit` bytes are not kept, so it
    /// holds at most about 16 MB (key and result) whatever an import stored.
    private struct Memo: ~Copyable {
        var results: [String: String] = [:]
    }

    private static let recent = Mutex(Memo())
    static let memoCapacity = 2048
    static let memoTextLimit = 4096

    private static func convert(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "\\" {
                let afterSlash = text.index(after: index)
                guard afterSlash < text.endIndex else { output.append(character); break }
                if text[afterSlash].isLetter {
                    var end = afterSlash
                    while end < text.endIndex, text[end].isLetter { end = text.index(after: end) }
                    let command = String(text[afterSlash..<end])
                    if let symbol = symbols[command] {
                        output += symbol
                    } else if !wrappers.contains(command) {
                        output += "\\" + command
                    }
                    // Commands that only style their argument vanish; the braces are dropped below.
                    index = end
                    continue
                }
                // Escaped characters: \% \& \$ \_ \{ \}
                let escaped = text[afterSlash]
                output.append("%&$_{}#".contains(escaped) ? escaped : escaped == "," || escaped == ";" ? " " : escaped)
                index = text.index(after: afterSlash)
                continue
            }
            if character == "$" {
                index = text.index(after: index)
                continue
            }
            if character == "{" || character == "}" {
                index = text.index(after: index)
                continue
            }
            if character == "^" || character == "_" {
                let table = character == "^" ? superscripts : subscripts
                let next = text.index(after: index)
                if next < text.endIndex {
                    // Take a braced group or a single character.
                    var group = ""
                    var end = next
                    if text[next] == "{" {
                        end = text.index(after: next)
                        while end < text.endIndex, text[end] != "}" { group.append(text[end]); end = text.index(after: end) }
                        if end < text.endIndex { end = text.index(after: end) }
                    } else {
                        group = String(text[next])
                        end = text.index(after: next)
                    }
                    let mapped = group.map { table[$0] }
                    if !group.isEmpty, mapped.allSatisfy({ $0 != nil }) {
                        output += mapped.compactMap { $0 }.joined()
                        index = end
                        continue
                    }
                    output.append(character)
                    index = next
                    continue
                }
            }
            output.append(character)
            index = text.index(after: index)
        }
        return output
    }

    static let wrappers: Set<String> = [
        "textbf", "textit", "emph", "texttt", "textrm", "textsc", "mathrm", "mathbf", "mathit", "mathcal",
        "mathbb", "mathsf", "mathtt", "boldsymbol", "bm", "operatorname", "text", "mbox", "left", "right",
        "big", "Big", "bigl", "bigr", "displaystyle",
    ]

    static let symbols: [String: String] = [
        "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
        "eta": "η", "theta": "θ", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π",
        "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
        "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
        "times": "×", "cdot": "·", "cdots": "⋯", "ldots": "…", "dots": "…", "leq": "≤", "le": "≤", "geq": "≥",
        "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈", "sim": "∼", "simeq": "≃", "propto": "∝", "infty": "∞",
        "pm": "±", "mp": "∓", "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "mapsto": "↦",
        "in": "∈", "notin": "∉", "subset": "⊂", "subseteq": "⊆", "cup": "∪", "cap": "∩", "forall": "∀",
        "exists": "∃", "nabla": "∇", "partial": "∂", "sum": "∑", "prod": "∏", "int": "∫", "sqrt": "√",
        "log": "log", "exp": "exp", "max": "max", "min": "min", "ell": "ℓ", "circ": "∘",
        "star": "⋆", "ast": "∗", "langle": "⟨", "rangle": "⟩", "lVert": "‖", "rVert": "‖", "mid": "|",
        "quad": " ", "qquad": "  ",
    ]

    static let superscripts: [Character: String] = [
        "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹",
        "+": "⁺", "-": "⁻", "n": "ⁿ", "i": "ⁱ", "T": "ᵀ", "*": "*", "(": "⁽", ")": "⁾",
    ]

    static let subscripts: [Character: String] = [
        "0": "₀", "1": "₁", "2": "₂", "3": "₃", "4": "₄", "5": "₅", "6": "₆", "7": "₇", "8": "₈", "9": "₉",
        "+": "₊", "-": "₋", "i": "ᵢ", "j": "ⱼ", "k": "ₖ", "n": "ₙ", "t": "ₜ", "(": "₍", ")": "₎",
    ]
}
