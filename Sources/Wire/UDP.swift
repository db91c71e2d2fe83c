// Placeholder: being written.
extension Dissector {
    static func dissectUDP(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into d: inout Dissection) {}
}

extension Summary {
    static func writeUDP(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into w: inout TextWriter) {}
}
