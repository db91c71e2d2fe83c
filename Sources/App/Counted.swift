/// "1 packet", "3 packets": a count with its noun, singular for one, for messages.
public func counted(_ n: Int, _ noun: String) -> String {
    "\(n) \(noun)\(n == 1 ? "" : "s")"
}
