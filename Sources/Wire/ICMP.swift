// Placeholder: being written.
extension Dissector {
    static func dissectICMPv4(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into d: inout Dissection) {}
}

extension Summary {
    static func writeICMPv4(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into w: inout TextWriter) {}
}
