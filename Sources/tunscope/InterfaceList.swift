import Capture

/// `-D`, as tcpdump's: every interface libpcap finds, numbered as tcpdump numbers them, with
/// whether it is up and what it is (a tun or tap tunscope can hold, Ethernet, loopback, any).
enum InterfaceList {
    static func print() throws {
        let interfaces = try CaptureInterface.all()
        let width = interfaces.map { "\($0.number).\($0.name)".count }.max() ?? 0
        var out = StandardOutput()
        for i in interfaces {
            let label = "\(i.number).\(i.name)"
            let state = i.state + String(repeating: " ", count: 4 - i.state.count)
            out.write(label + String(repeating: " ", count: width - label.count) + "  \(state)  \(i.what)\n")
        }
        out.flush()
    }
}
