/// A colour as a terminal shows it: the terminal's own default, one of the 16 ANSI colours,
/// or one of the 256 of xterm's palette.
public enum Color: Hashable, Sendable {
    case `default`
    /// 0-7 the ANSI colours (black, red, green, yellow, blue, magenta, cyan, white), 8-15 their bright forms.
    case ansi(UInt8)
    /// xterm's 256-colour palette (16-231 a 6x6x6 cube, 232-255 greys).
    case indexed(UInt8)

    /// The nearest of the 8 basic colours, for terminals that have no more.
    public var basic: Color {
        switch self {
        case .default: return .default
        case let .ansi(n): return .ansi(n & 7)
        case let .indexed(n) where n < 16: return .ansi(n & 7)
        case let .indexed(n):
            let (r, g, b) = Self.rgb(n)
            // A grey has no nearest hue: it becomes white if it can be seen on black, else black.
            if max(r, g, b) - min(r, g, b) < 30 { return .ansi((r + g + b) / 3 >= 64 ? 7 : 0) }
            // The basic colours as xterm draws them; pick the closest.
            let basics: [(UInt8, Int, Int, Int)] = [
                (0, 0, 0, 0), (1, 205, 0, 0), (2, 0, 205, 0), (3, 205, 205, 0),
                (4, 0, 0, 238), (5, 205, 0, 205), (6, 0, 205, 205), (7, 229, 229, 229),
            ]
            let best = basics.min { a, c in
                let da = (a.1 - r) * (a.1 - r) + (a.2 - g) * (a.2 - g) + (a.3 - b) * (a.3 - b)
                let dc = (c.1 - r) * (c.1 - r) + (c.2 - g) * (c.2 - g) + (c.3 - b) * (c.3 - b)
                return da < dc
            }!
            return .ansi(best.0)
        }
    }

    /// The red, green and blue of a palette entry from 16 up.
    static func rgb(_ n: UInt8) -> (Int, Int, Int) {
        if n >= 232 {
            let v = 8 + Int(n - 232) * 10
            return (v, v, v)
        }
        let i = Int(n) - 16
        let level = { (c: Int) in c == 0 ? 0 : 55 + c * 40 }
        return (level(i / 36), level(i / 6 % 6), level(i % 6))
    }
}

/// Text attributes that work without colour (what NO_COLOR leaves).
public struct Attributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = Attributes(rawValue: 1)
    public static let underline = Attributes(rawValue: 2)
    public static let reverse = Attributes(rawValue: 4)
    public static let dim = Attributes(rawValue: 8)
    public static let italic = Attributes(rawValue: 16)
}

/// How a cell is drawn: foreground, background, attributes.
public struct Style: Hashable, Sendable {
    public var foreground: Color
    public var background: Color
    public var attributes: Attributes

    public init(_ foreground: Color = .default, _ background: Color = .default, _ attributes: Attributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    public static let plain = Style()
}

/// What a part of the screen is, so themes can colour it: htop's and termshark's semantic roles.
public enum Role: String, CaseIterable, Sendable {
    case normal = "normal"
    case statusBar = "status_bar"
    case footer = "footer"
    case footerKey = "footer_key"
    case paneTitle = "pane_title"
    case paneTitleFocused = "pane_title_focused"
    case border = "border"
    case borderFocused = "border_focused"
    case listHeader = "list_header"
    case selectedFocused = "selected_focused"
    case selectedUnfocused = "selected_unfocused"
    // Packet list colouring rules, first match wins (badChecksum before the protocol ones).
    case ruleBadChecksum = "rule_bad_checksum"
    /// A packet the kernel dropped (its verdict, eBPF on skb:kfree_skb).
    case ruleKernelDrop = "rule_kernel_drop"
    // Wireshark's "Bad TCP" rule, split by what the stream analysis found.
    case ruleRetransmission = "rule_retransmission"
    case ruleDuplicateAck = "rule_duplicate_ack"
    case ruleZeroWindow = "rule_zero_window"
    case ruleRST = "rule_rst"
    case ruleSYNFIN = "rule_syn_fin"
    case ruleICMP = "rule_icmp"
    /// DNS, mDNS and LLMNR.
    case ruleDNS = "rule_dns"
    case ruleNTP = "rule_ntp"
    case ruleDHCP = "rule_dhcp"
    case ruleQUIC = "rule_quic"
    case ruleTLS = "rule_tls"
    case ruleHTTP = "rule_http"
    case ruleUDP = "rule_udp"
    case ruleSent = "rule_sent"
    case treeLayer = "tree_layer"
    case treeField = "tree_field"
    case treeError = "tree_error"
    case explanation = "explanation"
    case hexOffset = "hex_offset"
    case hexLayer = "hex_layer"
    case hexField = "hex_field"
    case ladderSent = "ladder_sent"
    case ladderReceived = "ladder_received"
    case stateOpen = "state_open"
    case statePending = "state_pending"
    case stateFailed = "state_failed"
    case promptValid = "prompt_valid"
    case promptInvalid = "prompt_invalid"
    case help = "help"

    /// The role a theme that leaves this one out draws it with, before `normal`: an
    /// application's rows take their transport's (TCP's rows are `normal`), as they did before
    /// these roles existed, so older theme files keep working.
    public var fallback: Role? {
        switch self {
        case .ruleNTP, .ruleDHCP, .ruleQUIC: return .ruleUDP
        case .ruleDuplicateAck, .ruleZeroWindow: return .ruleRetransmission
        case .ruleKernelDrop: return .ruleBadChecksum
        default: return nil
        }
    }
}
