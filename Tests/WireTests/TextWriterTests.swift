import Testing
@testable import Wire

/// The writer every formatter goes through: numbers at every digit count, growth past its
/// capacity, and in-place pieces.
struct TextWriterTests {
    @Test(arguments: [UInt64(0), 9, 10, 99, 100, 101, 999, 1000, 65535, 4_294_967_295, 1_000_000_000_000_000_000,
                      9_999_999_999_999_999_999, UInt64.max])
    func unsignedNumbersAreTheirDecimalText(value: UInt64) {
        var w = TextWriter(capacity: 0)
        w.write(unsigned: value)
        #expect(w.string == String(value))
    }

    @Test func signedNumbersAndWidthsAndHex() {
        var w = TextWriter()
        w.write(decimal: -42)
        w.write(byte: 32)
        w.write(decimal: Int64.min + 1)
        w.write(byte: 32)
        w.write(unsigned: 7, width: 6)
        w.write(byte: 32)
        w.write(hex: 0xbeef, digits: 8)
        #expect(w.string == "-42 -9223372036854775807 000007 0000beef")
    }

    @Test func growsPastItsCapacityKeepingEverything() {
        var w = TextWriter(capacity: 1)
        var expected = ""
        for i in 0..<10_000 {
            w.write(unsigned: UInt64(i))
            w.write(", ")
            expected += "\(i), "
        }
        #expect(w.string == expected && w.count == expected.utf8.count)
        w.removeLast(2)
        #expect(w.string == String(expected.dropLast(2)))
        w.removeAll()
        #expect(w.isEmpty && w.string.isEmpty)
    }
}
