import CPCRE2

/// A compiled PCRE2 pattern, matched against bytes: Wireshark's engine for `matches`, so a
/// pattern means the same in both. Caseless by default, as Wireshark compiles it ("(?-i)" turns
/// that off); byte mode, not UTF, since a field's bytes need not be UTF-8.
final class PCRERegex: @unchecked Sendable {
    private let code: OpaquePointer

    /// Compiles `pattern`; the error is PCRE2's message and the offset in the pattern.
    init(_ pattern: [UInt8]) throws(PatternError) {
        var errorCode: Int32 = 0
        var errorOffset = 0
        let compiled = pattern.withUnsafeBufferPointer { p in
            pcre2_compile_8(p.baseAddress ?? UnsafePointer(bitPattern: 1), p.count, UInt32(PCRE2_CASELESS), &errorCode, &errorOffset, nil)
        }
        guard let compiled else {
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = pcre2_get_error_message_8(errorCode, &buffer, buffer.count)
            throw PatternError(message: String(decoding: buffer.prefix(Int(max(0, n))), as: UTF8.self), offset: errorOffset)
        }
        code = compiled
    }

    deinit { pcre2_code_free_8(code) }

    struct PatternError: Error {
        var message: String
        var offset: Int
    }

    /// Whether the pattern matches somewhere in `subject`. A match block per call keeps this
    /// safe to call from several threads at once.
    func matches(_ subject: [UInt8]) -> Bool {
        guard let data = pcre2_match_data_create_from_pattern_8(code, nil) else { return false }
        defer { pcre2_match_data_free_8(data) }
        let rc = subject.withUnsafeBufferPointer { s in
            pcre2_match_8(code, s.baseAddress ?? UnsafePointer(bitPattern: 1), s.count, 0, 0, data, nil)
        }
        return rc >= 0
    }
}
