// Placeholder: being written.
extension Dissector {
    static func dissectICMPv6(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into d: inout Dissection) {}
}

extension Summary {
    static func writeICMPv6(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into w: inout TextWriter) {}
}
