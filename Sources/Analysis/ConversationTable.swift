/// Conversations by their endpoints, in slots that are reused once forgotten. The slots live in
/// blocks of fixed size, so a growing table never copies the conversations it has.
///
/// The lookup is a hash index of its own rather than a Dictionary: a bucket is one word (the
/// key's hash and its slot), the key itself is kept beside its conversation, and growing moves
/// words without hashing a key again. On a capture where most packets open a conversation the
/// lookup and the insertion are most of what the analysis costs.
struct ConversationTable<Conversation: ActiveConversation>: Sendable {
    private static var blockSize: Int { 4096 }

    private struct Entry: Sendable {
        var key: EndpointPair
        var conversation: Conversation
    }

    private var blocks: [[Entry]] = []
    private var used = 0
    private var free: [Int] = []
    private var clock: UInt64 = 0

    /// Open addressing with linear probing, at most half full. A bucket is 0 when empty, else
    /// the key's 32-bit hash in the high half and its slot + 1 in the low half; the hash's low
    /// bits say where the key's probe starts.
    private var buckets: [UInt64]
    private var mask: Int
    private(set) var count = 0
    /// Chosen at random, so that a capture cannot be made to put its keys in one chain.
    private let seed = UInt64.random(in: .min ... .max)

    /// Room for this many conversations before the index grows.
    init(capacity: Int = 1 << 12) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        buckets = Array(repeating: 0, count: size)
        mask = size - 1
    }

    /// The conversation in slot `s`, read and changed in place.
    subscript(_ s: Int) -> Conversation {
        get { blocks[s / Self.blockSize][s % Self.blockSize].conversation }
        _modify { yield &blocks[s / Self.blockSize][s % Self.blockSize].conversation }
    }

    private func storedKey(_ s: Int) -> EndpointPair {
        blocks[s / Self.blockSize][s % Self.blockSize].key
    }

    private func hash(_ key: EndpointPair) -> UInt32 {
        let h = key.seededHash(seed)
        return UInt32(truncatingIfNeeded: h ^ h >> 32)
    }

    /// The bucket that holds `key`, or nil.
    private func bucket(of key: EndpointPair) -> Int? {
        let h = hash(key)
        var i = Int(h) & mask
        while true {
            let b = buckets[i]
            if b == 0 { return nil }
            if UInt32(truncatingIfNeeded: b >> 32) == h && storedKey(Int(UInt32(truncatingIfNeeded: b)) - 1) == key { return i }
            i = (i + 1) & mask
        }
    }

    mutating func slot(_ key: EndpointPair) -> Int? {
        guard let i = bucket(of: key) else { return nil }
        let s = Int(UInt32(truncatingIfNeeded: buckets[i])) - 1
        clock &+= 1
        self[s].lastActive = clock
        return s
    }

    /// Adds a conversation for a key the table does not have.
    mutating func insert(_ c: Conversation, for key: EndpointPair) -> Int {
        clock &+= 1
        var c = c
        c.lastActive = clock
        let s: Int
        if let reusable = free.popLast() {
            s = reusable
            blocks[s / Self.blockSize][s % Self.blockSize] = Entry(key: key, conversation: c)
        } else {
            s = used
            used += 1
            if s / Self.blockSize == blocks.count {
                blocks.append([])
                blocks[blocks.count - 1].reserveCapacity(Self.blockSize)
            }
            blocks[s / Self.blockSize].append(Entry(key: key, conversation: c))
        }
        if (count + 1) * 2 > buckets.count { grow() }
        place(UInt64(hash(key)) << 32 | UInt64(s + 1))
        count += 1
        return s
    }

    /// Puts a bucket word in the first empty bucket from its hash's place.
    private mutating func place(_ word: UInt64) {
        var i = Int(word >> 32) & mask
        while buckets[i] != 0 { i = (i + 1) & mask }
        buckets[i] = word
    }

    private mutating func grow() {
        let old = buckets
        buckets = Array(repeating: 0, count: old.count * 2)
        mask = buckets.count - 1
        for word in old where word != 0 { place(word) }
    }

    /// Empties bucket `i`, moving back the keys after it that probed past it (so that no lookup
    /// stops early at the hole).
    private mutating func remove(bucket i: Int) {
        var hole = i
        var j = (i + 1) & mask
        while buckets[j] != 0 {
            let home = Int(buckets[j] >> 32) & mask
            // The key at j may fill the hole when the hole lies on its probe, from home to j.
            if (j - home) & mask >= (j - hole) & mask {
                buckets[hole] = buckets[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        buckets[hole] = 0
        count -= 1
    }

    /// Puts a new conversation where the key's was (the old one is over as far as lookups go).
    mutating func replace(_ key: EndpointPair, with c: Conversation) -> Int {
        let s = Int(UInt32(truncatingIfNeeded: buckets[bucket(of: key)!])) - 1
        var c = c
        c.lastActive = self[s].lastActive
        self[s] = c
        return s
    }

    /// Forgets the least recently active eighth when there are more than `maximum`; returns how many.
    mutating func bound(_ maximum: Int) -> Int {
        guard count > maximum else { return 0 }
        var live: [Int] = []
        live.reserveCapacity(count)
        for word in buckets where word != 0 { live.append(Int(UInt32(truncatingIfNeeded: word)) - 1) }
        let victims = live.sorted { self[$0].lastActive < self[$1].lastActive }.prefix(count / 8)
        for s in victims {
            remove(bucket: bucket(of: storedKey(s))!)
            self[s] = Conversation.empty
            free.append(s)
        }
        return victims.count
    }
}

extension EndpointPair {
    /// A hash of the pair's words with a seed: a multiply-fold per word (as wyhash mixes), much
    /// cheaper than `Hasher` for a key of four words.
    func seededHash(_ seed: UInt64) -> UInt64 {
        var h = seed
        func mix(_ w: UInt64) {
            let p = (h ^ w).multipliedFullWidth(by: 0x9E37_79B9_7F4A_7C15)
            h = p.high ^ p.low
        }
        mix(UInt64(low.port) << 16 | UInt64(high.port))
        switch (low.address, high.address) {
        case let (.v4(a), .v4(b)):
            mix(UInt64(a.value) << 32 | UInt64(b.value))
        case let (.v6(a), .v6(b)):
            mix(a.high); mix(a.low); mix(b.high); mix(b.low)
        case let (.v4(a), .v6(b)), let (.v6(b), .v4(a)):
            mix(UInt64(a.value) | 1 << 63); mix(b.high); mix(b.low)
        }
        return h
    }
}
