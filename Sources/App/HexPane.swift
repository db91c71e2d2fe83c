import Screen
import Wire

extension Monitor {
    /// Offset, hex and ASCII of the selected packet; the bytes of the selected tree row stand
    /// out, those of its layer are marked, so walking the tree shows which bytes are which.
    func drawHex(into b: inout Buffer, area: Rect) {
        guard let (p, _) = selectedPacket else { return }
        let bytes = p.packet.bytes
        // 16 bytes a row when there is room ("0000  " + 16 x "xx " + " " + 16 chars), else 8.
        let perRow = area.width >= 6 + 16 * 3 + 1 + 16 ? 16 : 8
        let rowCount = (bytes.count + perRow - 1) / perRow
        let marked = selectedTreeRow
        let field = marked?.range ?? 0..<0
        let layer = marked?.layerRange ?? 0..<0
        // Keep the selected field's first row on screen.
        if !field.isEmpty {
            let fieldRow = field.lowerBound / perRow
            if fieldRow < hexTop || fieldRow >= hexTop + area.height { hexTop = max(0, fieldRow - area.height / 3) }
        }
        hexTop = max(0, min(hexTop, max(0, rowCount - area.height)))
        for r in hexTop..<min(rowCount, hexTop + area.height) {
            let y = area.y + r - hexTop
            let start = r * perRow
            var offset = String(start, radix: 16)
            offset = String(repeating: "0", count: max(0, 4 - offset.count)) + offset
            b.write(offset, x: area.x, y: y, style: theme[.hexOffset], limit: area.width)
            for i in start..<min(bytes.count, start + perRow) {
                let style = field.contains(i) ? theme[.hexField] : (layer.contains(i) ? theme[.hexLayer] : theme[.normal])
                var hex = String(bytes[i], radix: 16)
                if hex.count < 2 { hex = "0" + hex }
                let column = i - start
                b.write(hex, x: area.x + 6 + column * 3, y: y, style: style, limit: max(0, area.maxX - (area.x + 6 + column * 3)))
                let c = bytes[i]
                let ascii = c > 0x20 && c < 0x7f ? String(UnicodeScalar(c)) : "."
                b.write(ascii, x: area.x + 6 + perRow * 3 + 1 + column, y: y, style: style,
                        limit: max(0, area.maxX - (area.x + 6 + perRow * 3 + 1 + column)))
            }
        }
    }
}
