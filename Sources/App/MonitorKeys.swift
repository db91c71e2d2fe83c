#if canImport(Glibc)
import Glibc
#endif
import Capture
import DisplayFilter
import Probe
import Screen
import Wire

extension Monitor {
    /// Does what `key` means in the current state (a table of keys to actions, as htop's).
    public func handle(_ key: Key) {
        message = nil
        if prompt != nil {
            handlePromptKey(key)
            return
        }
        // The help scrolls with the moving keys; any other closes it (a resize is not a key pressed).
        if showHelp {
            switch key {
            case .character("j"), .down: helpTop += 1
            case .character("k"), .up: helpTop = max(0, helpTop - 1)
            case .pageDown: helpTop += pageRows
            case .pageUp: helpTop = max(0, helpTop - pageRows)
            case .resize: break
            default:
                showHelp = false
                helpTop = 0
            }
            return
        }
        if following != nil && key != .resize { return handleFollowKey(key) }
        if conversationsView != nil && key != .resize { return handleConversationsKey(key) }
        switch key {
        case .character("q"): wantsQuit = true
        case .character("?"): showHelp = true
        case .escape: zoomed = false
        case .tab: focus = Pane(rawValue: (focus.rawValue + 1) % Pane.allCases.count)!
        case .backTab: focus = Pane(rawValue: (focus.rawValue + Pane.allCases.count - 1) % Pane.allCases.count)!
        case .character("z"): zoomed.toggle()
        case .character(" "): togglePause()
        case .character("c"): clear()
        case .character("T"): cycleTimeFormat()
        case .character("s"): sendSYN()
        case .character("p"): sendPing()
        case .character("r"): resendSelected()
        case .character("d"): if openOwnConnection() != nil { prompt = Prompt(kind: .data, text: "") }
        case .character("H"): sendHTTPGet()
        case .character("f"): openFollow()
        case .character("C"): openConversations()
        case .character("S"):
            relativeNumbers.toggle()
            if relativeNumbers { streams.catchUpTcpdumpNumbers(store, oldest: oldest) }
            say(relativeNumbers ? "TCP numbers relative, as tcpdump prints them without -S (S: absolute)"
                                : "TCP numbers absolute, as tcpdump -S prints them (S: relative)")
        case .character("F"): closeConnection(reset: false)
        case .character("R"): closeConnection(reset: true)
        case .character("t"):
            if let watched { say(Self.farEndOnly(watched), error: true); break }
            prompt = Prompt(kind: .target, text: target.map { endpoint($0.address, $0.port) } ?? "")
        case .character("/"): prompt = Prompt(kind: .filter, text: filter?.expression ?? "")
        case .character("w"): prompt = Prompt(kind: .write, text: "tunscope.pcap")
        case .character("W"): prompt = Prompt(kind: .writeAll, text: "tunscope.pcap")
        case .character("e"):
            if selectedPacket == nil { say("select a packet to edit first", error: true) } else { prompt = Prompt(kind: .edit, text: "") }
        case .character("j"), .down: move(1)
        case .character("k"), .up: move(-1)
        case .pageDown: move(pageRows)
        case .pageUp: move(-pageRows)
        case .character("g"), .home: moveToStart()
        case .character("G"), .end: moveToEnd()
        case .enter: enter()
        case let .click(x, y): click(x: x, y: y)
        case let .wheelUp(x, y): scroll(-3, x: x, y: y)
        case let .wheelDown(x, y): scroll(3, x: x, y: y)
        default: break
        }
    }

    var pageRows: Int { max(1, (lastPaneAreas[focus]?.height ?? 12) - 3) }

    /// A line for the user until the next key.
    public func say(_ text: String, error: Bool = false) {
        message = (text, error)
        statusChanged = true
    }

    // MARK: Moving

    func move(_ delta: Int) {
        switch focus {
        case .list:
            let count = shownCount
            guard count > 0 else { return }
            let current = selected.flatMap { shownIndex(of: $0) } ?? count - 1
            let next = max(0, min(count - 1, current + delta))
            select(shownNumber(at: next))
            follow = next == count - 1 && delta > 0 && pausedAt == nil
        case .tree: treeRow = max(0, treeRow + delta)
        case .hex: hexTop = max(0, hexTop + delta)
        case .ladder: ladderRow = max(0, ladderRow + delta)
        }
    }

    func moveToStart() {
        switch focus {
        case .list:
            follow = false
            if shownCount > 0 { select(shownNumber(at: 0)) }
        case .tree: treeRow = 0
        case .hex: hexTop = 0
        case .ladder: ladderRow = 0
        }
    }

    func moveToEnd() {
        switch focus {
        case .list:
            follow = pausedAt == nil
            selectNewest()
        case .tree: treeRow = Int.max / 2
        case .hex: hexTop = Int.max / 2
        case .ladder: ladderRow = Int.max / 2
        }
    }

    func enter() {
        switch focus {
        case .list: focus = .tree
        case .tree: toggleTreeRow()
        case .hex: break
        case .ladder:
            guard let number = selectedLadderEvent?.packetNumber else { return }
            guard shownIndex(of: number) != nil else {
                say("packet \(number) is not in the list (filtered out, cleared or evicted)", error: true)
                return
            }
            follow = false
            select(number)
            focus = .list
        }
    }

    func click(x: Int, y: Int) {
        guard let (pane, rect) = lastPaneAreas.first(where: { $0.value.contains(x: x, y: y) }) else { return }
        focus = pane
        let row = y - rect.y - 1
        switch pane {
        case .list:
            let index = listTop + row - 1  // the header row
            if row >= 1, index < shownCount {
                follow = false
                select(shownNumber(at: index))
            }
        case .tree: if row >= 0 { treeRow = treeTop + row }
        case .ladder: if row >= 2 { ladderRow = max(0, ladderRow + row - 2 - min(ladderRow, (rect.height - 4) / 2)) }
        case .hex: break
        }
    }

    func scroll(_ delta: Int, x: Int, y: Int) {
        if let (pane, _) = lastPaneAreas.first(where: { $0.value.contains(x: x, y: y) }) { focus = pane }
        move(delta)
    }

    // MARK: The list

    func togglePause() {
        if pausedAt == nil {
            pausedAt = store.newestNumber
            follow = false
            say(capture != nil ? "paused: capture goes on; space resumes" : "paused; space resumes")
        } else {
            pausedAt = nil
            follow = true
            if filter != nil { setFilter(filter) }
        }
    }

    func clear() {
        // A file's packets are only here: clearing them would lose them.
        guard capture != nil else {
            say("c clears a live capture's list; a file's packets stay (/ filters them)", error: true)
            return
        }
        store.removeAll()
        timeReference = nil
        matching = []
        filteredUpTo = store.newestNumber
        selected = nil
        follow = true
        listTop = 0
        say("cleared; new packets will show here")
    }

    func cycleTimeFormat() {
        let all = TimeFormat.allCases
        timeFormat = all[(all.firstIndex(of: timeFormat)! + 1) % all.count]
        say("time: \(timeFormat)")
    }

    // MARK: Sending

    /// Why nothing can be sent from here, or nil when something can: the screen's hint and the
    /// message for s, p and r.
    var whyNoSending: String? {
        guard let capture else { return "sending needs a live tun device (tunscope -i DEV, or sudo tunscope lab)" }
        if !capture.isRunning { return "\(sourceName) is gone (capture stopped): nothing can be sent" }
        if let watched { return Self.farEndOnly(watched) }
        if host == nil || ownAddress == nil {
            return linkType == .ethernet ? "\(sourceName) is a tap device, only watched: sending works on tun devices"
                : "\(sourceName) has no point-to-point address: only watching (give --source to send)"
        }
        return nil
    }

    /// Watching, tunscope is not the far end: nothing answers, so only r and e (injection) work.
    static func farEndOnly(_ watched: WatchCapture) -> String {
        let names = watched.devices.map { d in d.name + (d.holder.map { " (\($0.command) holds it)" } ?? "") }
        return "watching \(names.joined(separator: ", ")): s, p and t need tunscope as the far end of a tun; r and e inject"
    }

    /// Sends `bytes` (as the device carries them) out of device `device`, as if the kernel sent
    /// it (a tun's holder reads it); it comes back into the list through capture.
    func inject(_ bytes: Bytes, device: Int, number: Int, into watched: WatchCapture, what: String) {
        watched.inject(bytes, device: device)
        say("packet \(number) \(what) injected into \(watched.devices[device].name)")
    }

    /// The device a stored packet goes back out of, and its bytes as that device carries them;
    /// an error that says why not: `any` takes no injection, and a cooked packet from an
    /// Ethernet device has lost its Ethernet header.
    func injectionTarget(of p: StoredPacket, in watched: WatchCapture) throws -> (device: Int, bytes: Bytes) {
        let packet = p.packet.bytes
        guard watched.linkType == .linuxSLL2 else {
            if watched.devices[0].name == "any" {
                throw EditError("'any' takes no injected packets: watch the device itself (-i DEV) to resend")
            }
            return (0, packet)
        }
        let index = LinuxCooked.origin(ofSLL2: packet).map { Int($0.interfaceIndex) }
        guard let device = watched.devices.firstIndex(where: { $0.interfaceIndex == index }) else {
            throw EditError("packet \(p.number) came through no device watched here: nothing to inject it into")
        }
        let name = watched.devices[device].name
        guard watched.devices[device].linkType != .ethernet else {
            throw EditError("\(name)'s frames are kept without their Ethernet header when several devices are watched: "
                            + "watch it alone (-i \(name)) to resend them")
        }
        return (device, Bytes(packet[20...]))
    }

    /// The live host and tunscope's address, or a message saying why nothing can be sent.
    private func sender() -> (LiveHost, IPAddress)? {
        if let why = whyNoSending {
            say(why, error: true)
            return nil
        }
        return (host!, ownAddress!)
    }

    /// The target, when there is one of tunscope's address family; otherwise a message.
    private func target(matching me: IPAddress) -> (address: IPAddress, port: UInt16)? {
        guard let t = target else {
            say("no target yet: press t and give HOST:PORT", error: true)
            return nil
        }
        guard t.address.isIPv6 == me.isIPv6 else {
            say("the target \(t.address) and tunscope's \(me) are not both IPv4 or both IPv6", error: true)
            return nil
        }
        return t
    }

    func sendSYN() {
        guard let (host, me) = sender(), let t = target(matching: me) else { return }
        var config = host.tcpConfig(from: me, to: t.address, port: t.port)
        config.hold = holdsConnections
        host.connect(config)
        focus = focus == .list ? .list : focus
        ladderRow = 0
        say("SYN sent to \(endpoint(t.address, t.port))")
    }

    /// The index of tunscope's connection that d, H, F and R act on: the selected packet's when
    /// it is one of tunscope's, else the newest still open. Nil (after saying why) when that
    /// one is not open or there is none.
    func openOwnConnection() -> Int? {
        guard let (host, _) = sender() else { return nil }
        let connections = host.snapshot.connections
        let chosen = selected.flatMap { s in connections.lastIndex { c in c.timeline.contains { $0.packetNumber == s } } }
            ?? connections.lastIndex { !$0.isFinished } ?? connections.indices.last
        guard let i = chosen else {
            say("no connection of tunscope's yet: s opens one to the target", error: true)
            return nil
        }
        let c = connections[i]
        guard c.state == .established || c.state == .closeWait else {
            say("the connection to \(endpoint(c.config.destination, c.config.destinationPort)) is \(c.state.rawValue): s opens another", error: true)
            return nil
        }
        return i
    }

    /// `H`: an HTTP GET for the connection's host, on the connection.
    func sendHTTPGet() {
        guard let i = openOwnConnection(), let host else { return }
        let c = host.snapshot.connections[i].config
        let request = "GET / HTTP/1.1\r\nHost: \(Target.hostHeader(c.destination, port: c.destinationPort))\r\nUser-Agent: tunscope\r\n\r\n"
        host.write(Array(request.utf8), connection: i, note: "GET / (H)")
        say("GET / sent to \(endpoint(c.destination, c.destinationPort))")
    }

    /// `F` closes tunscope's side of the connection with a FIN, `R` resets it.
    func closeConnection(reset: Bool) {
        guard let i = openOwnConnection(), let host else { return }
        let c = host.snapshot.connections[i].config
        if reset { host.reset(connection: i) } else { host.close(connection: i) }
        say("\(reset ? "reset" : "FIN sent on") the connection to \(endpoint(c.destination, c.destinationPort))")
    }

    func sendPing() {
        guard let (host, me) = sender(), let t = target(matching: me) else { return }
        var config = host.pingConfig(from: me, to: t.address)
        config.count = 1
        host.ping(config)
        say("echo request sent to \(t.address)")
    }

    func resendSelected() {
        if let watched, capture?.isRunning == true {
            guard let (p, _) = selectedPacket else {
                say("select a packet to resend", error: true)
                return
            }
            do {
                let target = try injectionTarget(of: p, in: watched)
                inject(target.bytes, device: target.device, number: p.number, into: watched, what: "resent")
            } catch {
                say("\(error)", error: true)
            }
            return
        }
        guard let (host, _) = sender() else { return }
        guard let (p, _) = selectedPacket else {
            say("select a packet to resend", error: true)
            return
        }
        do {
            host.sendByHand(try farEndBytes(of: p), what: "resent", note: "packet \(p.number)")
            say("resent packet \(p.number)")
        } catch {
            say("\(error)", error: true)
        }
    }

    /// A stored packet as tunscope writes it into the tun: without the SLL2 header when devices
    /// are watched beside the tun (the lab's outside interface). A copy from such a device cannot
    /// be written: tunscope is the far end of the tun only (and libpcap's injection there would
    /// put a packet on the wire that the tun's side never sent, which is not what r means).
    /// Watching, the packet as its device carries it (see `injectionTarget`).
    func farEndBytes(of p: StoredPacket) throws -> Bytes {
        if let watched { return try injectionTarget(of: p, in: watched).bytes }
        guard let held = capture as? LiveCapture else { return p.packet.bytes }
        if let bytes = held.farEndBytes(p.packet.bytes) { return bytes }
        let index = LinuxCooked.origin(ofSLL2: p.packet.bytes)?.interfaceIndex
        let name = index.flatMap { interfaceNames[$0] } ?? "another device"
        throw EditError("""
            packet \(p.number) crossed \(name), which tunscope only watches: r and e send what crossed \(held.device.name) \
            (its copy before NAT)
            """)
    }

    // MARK: Prompts

    func handlePromptKey(_ key: Key) {
        guard var p = prompt else { return }
        switch key {
        case .escape: prompt = nil
        case .enter:
            prompt = nil
            submit(p)
        case .backspace:
            if !p.text.isEmpty { p.text.removeLast() }
            prompt = p
        case .control("u"):
            p.text = ""
            prompt = p
        case let .character(c):
            p.text.append(c)
            prompt = p
        default:
            break
        }
    }

    /// What is wrong with what the prompt holds so far (nil: it would work), shown as you type.
    func promptCheck(_ p: Prompt) -> String? {
        switch p.kind {
        case .filter:
            guard !p.text.isEmpty else { return nil }
            do {
                // Checked at every key: a host name waits for Enter (no DNS query per key).
                _ = try ListFilter(p.text, linkType: linkType, lookingUpNames: false)
                return nil
            } catch let error as FilterError {
                return error.message
            } catch {
                let text = "\(error)", prefix = "filter '"
                // libpcap's message after "filter 'EXPRESSION': ".
                return text.hasPrefix(prefix) ? String(text.drop { $0 != ":" }.dropFirst(2)) : text
            }
        case .target:
            return (try? parseTarget(p.text)) == nil ? targetError(p.text) : nil
        case .write, .writeAll, .savePayload:
            let path = Self.expandingHome(p.text)
            if let refusal = writeRefusal(path) { return refusal }
            // Not a refusal: a warning before Enter, as a save dialog asks.
            return access(path, F_OK) == 0 ? "\(path) exists: Enter overwrites it" : nil
        case .edit:
            do {
                _ = try editedSelection(p.text)
                return nil
            } catch {
                return "\(error)"
            }
        case .data:
            do {
                _ = try EscapedText.bytes(p.text)
                return nil
            } catch {
                return "\(error)"
            }
        }
    }

    func submit(_ p: Prompt) {
        switch p.kind {
        case .filter:
            if p.text.isEmpty {
                setFilter(nil)
                say("filter cleared")
            } else if let f = try? ListFilter(p.text, linkType: linkType) {
                setFilter(f)
                say("filter: \(shownCount) of \(store.counts.stored) packets match so far")
            } else {
                say(promptCheck(p) ?? "invalid filter", error: true)
            }
        case .target:
            if let t = try? parseTarget(p.text) {
                target = t
                say("target: \(endpoint(t.address, t.port)); s sends a SYN")
            } else {
                say(targetError(p.text) ?? "invalid target", error: true)
            }
        case .write, .writeAll:
            let path = Self.expandingHome(p.text)
            if let refusal = writeRefusal(path) {
                say(refusal, error: true)
            } else {
                write(to: path, all: p.kind == .writeAll)
            }
        case .savePayload:
            savePayload(to: Self.expandingHome(p.text))
        case .data:
            do {
                let data = try EscapedText.bytes(p.text)
                guard !data.isEmpty else { return say("nothing to send", error: true) }
                guard let i = openOwnConnection(), let host else { return }
                host.write(data, connection: i, note: "typed (d)")
                say("sent \(data.count) byte\(data.count == 1 ? "" : "s")")
            } catch {
                say("\(error)", error: true)
            }
        case .edit:
            if let watched, capture?.isRunning == true {
                do {
                    guard let (packet, _) = selectedPacket else { throw EditError("select a packet first") }
                    let device = try injectionTarget(of: packet, in: watched).device
                    inject(try editedSelection(p.text), device: device, number: packet.number, into: watched,
                           what: "edited (\(p.text))")
                } catch {
                    say("\(error)", error: true)
                }
                return
            }
            guard let (host, _) = sender() else { return }
            do {
                let packet = try editedSelection(p.text)
                host.sendByHand(packet, what: "edited", note: "packet \(selected ?? 0) with \(p.text)")
                say("sent packet \(selected ?? 0) edited: \(p.text)")
            } catch {
                say("\(error)", error: true)
            }
        }
    }

    func parseTarget(_ text: String) throws -> (address: IPAddress, port: UInt16) {
        let t = try Target.parse(text, needsPort: true)
        guard let address = IPAddress(t.host), let port = t.port else {
            throw TargetError("'\(text)': give an IP address and a port, as 198.51.100.80:80")
        }
        return (address, port)
    }

    func targetError(_ text: String) -> String? {
        do {
            _ = try parseTarget(text)
            return nil
        } catch let e as TargetError {
            return e.description
        } catch {
            return "\(error)"
        }
    }

    /// The selected packet with `assignments` ("ip.ttl=3 tcp.flags=S bad-checksum") applied.
    func editedSelection(_ assignments: String) throws -> Bytes {
        guard let (p, _) = selectedPacket else { throw EditError("select a packet first") }
        var packet = try EditablePacket(parsing: try farEndBytes(of: p))
        for word in assignments.split(separator: " ") {
            if word == "bad-checksum" {
                try packet.breakChecksum()
                continue
            }
            guard let eq = word.firstIndex(of: "=") else {
                throw EditError("'\(word)': write FIELD=VALUE (ip.ttl=3, tcp.flags=S., ...) or bad-checksum")
            }
            try packet.set(String(word[..<eq]), to: String(word[word.index(after: eq)...]))
        }
        return packet.build()
    }

    /// Writes the packets the list shows (all of them without a filter) to a pcap file.
    /// Why the packets cannot be written to `path`, or nil: no name, or the capture being shown
    /// (whatever name leads to it), which is never written over.
    func writeRefusal(_ path: String) -> String? {
        if path.isEmpty { return "give a file name" }
        var target = stat(), shown = stat()
        if stat(path, &target) == 0, target.st_mode & S_IFMT == S_IFDIR {
            return "\(path) is a directory: give a file name in it"
        }
        if capture == nil, stat(path, &target) == 0, stat(sourceName, &shown) == 0,
           target.st_dev == shown.st_dev, target.st_ino == shown.st_ino {
            return "\(path) is the capture being shown: write to another file"
        }
        return nil
    }

    /// "~/x.pcap" as a shell reads it: in the home of the user tunscope runs as (after sudo, the
    /// one who ran it, whose privileges it took back).
    static func expandingHome(_ text: String) -> String {
        guard text == "~" || text.hasPrefix("~/"), let home = getpwuid(getuid()).map({ String(cString: $0.pointee.pw_dir) })
        else { return text }
        return home + text.dropFirst()
    }

    /// Writes the packets shown (or, with `all`, every stored packet) to `path` as a pcap.
    func write(to path: String, all: Bool = false) {
        let count = all ? store.counts.stored : shownCount
        let first = oldest
        let number: (Int) -> Int = all ? { first + $0 } : { self.shownNumber(at: $0) }
        do {
            let writer = try CaptureFileWriter(path: path, linkType: linkType)
            var batch = PacketStore.Batch()
            var written = 0
            var i = 0
            while i < count {
                // Runs of consecutive numbers go out in one copy.
                var j = i
                while j + 1 < count && number(j + 1) == number(j) + 1 && j - i < 4095 { j += 1 }
                store.copy(numbered: number(i)...number(j), into: &batch)
                batch.forEach { bytes, seconds, microseconds, originalLength in
                    writer.write(bytes, seconds: seconds, microseconds: microseconds, originalLength: originalLength)
                    written += 1
                }
                i = j + 1
            }
            try writer.close()
            say("wrote \(counted(written, "packet")) to \(path)")
        } catch {
            say("\(error)", error: true)
        }
    }
}
