// Placeholder: being written.
extension Dissector {
    static func dissectTCP(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into d: inout Dissection) {}
}

extension Summary {
    static func writeTCP(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into w: inout TextWriter) {}
}
