/// How much of a split a part takes (ratatui's constraints).
public enum Constraint: Sendable, Equatable {
    /// Exactly this many cells (less when there is not enough room).
    case length(Int)
    /// This share of the whole.
    case percentage(Int)
    /// What is left over, shared among the fills by weight.
    case fill(Int)
}

public enum SplitDirection: Sendable {
    /// Side by side.
    case horizontal
    /// One above the other.
    case vertical
}

extension Rect {
    /// Splits the rectangle into parts along `direction`, sized by `constraints`, in order.
    public func split(_ direction: SplitDirection, _ constraints: [Constraint]) -> [Rect] {
        let total = direction == .horizontal ? width : height
        var sizes = constraints.map { c -> Int in
            switch c {
            case let .length(n): return max(0, n)
            case let .percentage(p): return total * max(0, min(100, p)) / 100
            case .fill: return 0
            }
        }
        // Fixed parts first; when they do not fit, the later ones shrink.
        var left = total
        for i in sizes.indices {
            sizes[i] = min(sizes[i], left)
            left -= sizes[i]
        }
        let weights = constraints.map { c -> Int in if case let .fill(w) = c { return max(1, w) } else { return 0 } }
        let weightSum = weights.reduce(0, +)
        if weightSum > 0 {
            var given = 0
            let lastFill = weights.lastIndex { $0 > 0 }!
            for i in sizes.indices where weights[i] > 0 {
                sizes[i] = i == lastFill ? left - given : left * weights[i] / weightSum
                given += sizes[i]
            }
        }
        var parts: [Rect] = []
        var at = direction == .horizontal ? x : y
        for size in sizes {
            parts.append(direction == .horizontal ? Rect(x: at, y: y, width: size, height: height)
                                                  : Rect(x: x, y: at, width: width, height: size))
            at += size
        }
        return parts
    }
}
