// Placeholder: being written.
extension Dissector {
    static func dissectEthernet(_ b: Bytes, at start: Int, end: Int, into d: inout Dissection) {}
}

extension Summary {
    static func writeEthernet(_ b: Bytes, at start: Int, end: Int, into w: inout TextWriter) {}
}
